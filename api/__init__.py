"""The HTTP API face: OpenAI-compatible chat completions, `/v1/models` and `/api/ask`, served by `rawi serve`."""
