"""The Gradio chat front end: `build_app(assistant)` returns the app without launching it."""
