"""The chat page: right-to-left Arabic chat with streamed answers and a sources panel.

`build_app(assistant)` returns a `gr.Blocks` and launches nothing; `launch()` serves it.
All document and question text is HTML-escaped before display, so markup inside an article is
shown as text. The engine is `rag.assistant`; this module only presents it.
"""

from __future__ import annotations

import html
from typing import Any, Iterator

from rag.errors import RawiError
from rag.results import Answer

CSS = """
.rawi-sources { direction: rtl; text-align: right; }
.rawi-source { border: 1px solid #ddd; border-radius: 8px; padding: 8px 12px; margin: 8px 0; line-height: 1.8; }
.rawi-file { direction: ltr; unicode-bidi: isolate; font-family: monospace; font-size: 0.9em; }
.rawi-source mark { background: #ffe58a; padding: 0 2px; }
.rawi-abstained { color: #8a5a00; }
"""

EXAMPLES = [
    "من هو السفير الروسي لدى ليبيا؟",
    "ومن رافق حفتر في زيارته إلى بيلاروسيا؟",
    "ما اسم القاعدة الجوية التي تستخدمها روسيا قرب الكفرة؟",
    "Who is the Russian deputy defence minister who visited Benghazi?",
]


def _bdi(text: str) -> str:
    return f'<bdi class="rawi-file">{html.escape(text)}</bdi>'


def sources_html(answer: Answer, file_texts: dict[str, str]) -> str:
    """Each cited passage in its surrounding text, the quoted span highlighted; escaped throughout."""
    if answer.abstained or not answer.citations:
        return '<div class="rawi-sources rawi-abstained">لا توجد مصادر مستشهد بها. / No cited sources.</div>'
    parts = ['<div class="rawi-sources">']
    for c in answer.citations:
        text = file_texts.get(c.file, "")
        before = text[max(0, c.start - 200) : c.start]
        after = text[c.end : c.end + 200]
        meta = " · ".join(x for x in (html.escape(c.title), _bdi(c.file), html.escape(c.date)) if x)
        parts.append(
            f'<div class="rawi-source" id="source-{c.n}"><b><bdi>[{c.n}]</bdi></b> {meta}<br>'
            f"…{html.escape(before)}<mark>{html.escape(c.quote)}</mark>{html.escape(after)}…</div>"
        )
    parts.append("</div>")
    return "".join(parts)


def _status_line(assistant: Any) -> str:
    s = assistant.status()
    mode = f"LLM ({s['model']})" if s["mode"] == "llm" else "extractive (offline)"
    return f"**mode:** {mode} · **articles:** {s['articles']} · **chunks:** {s['chunks']}"


def build_app(assistant: Any) -> Any:
    """The Gradio Blocks app over `assistant`; nothing is launched here."""
    import gradio as gr

    def respond(message: str, history: list[dict[str, Any]]) -> Iterator[tuple[list, str, str]]:
        history = list(history or [])
        try:
            stream = assistant.stream(message, history=history)
            history = history + [{"role": "user", "content": message}, {"role": "assistant", "content": ""}]
            for event in stream:
                if isinstance(event, Answer):
                    shown = html.escape(event.answer)
                    if event.warnings:
                        shown += "\n\n" + "\n".join("⚠ " + html.escape(w) for w in event.warnings)
                    history[-1] = {"role": "assistant", "content": shown}
                    texts = assistant.store.file_texts([c.file for c in event.citations])
                    yield history, sources_html(event, texts), ""
                else:
                    history[-1] = {"role": "assistant", "content": history[-1]["content"] + html.escape(event)}
                    yield history, "", ""
        except RawiError as err:
            raise gr.Error(str(err)) from None

    def ask(question: str) -> dict[str, Any]:
        """The same JSON as `rawi ask --json`."""
        try:
            return assistant.ask(question).to_dict()
        except RawiError as err:
            raise gr.Error(str(err)) from None

    with gr.Blocks(title="rawi · راوي") as app:
        gr.Markdown("# راوي · rawi\nأسئلة وأجوبة من المقالات الإخبارية مع ذكر المصدر", rtl=True)
        status = gr.Markdown(_status_line(assistant))
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(rtl=True, height=480, sanitize_html=True, label="المحادثة")
                box = gr.Textbox(rtl=True, placeholder="اكتب سؤالك هنا…", label="السؤال", lines=1)
                with gr.Row():
                    send = gr.Button("إرسال", variant="primary")
                    clear = gr.Button("مسح المحادثة")
                gr.Examples(EXAMPLES, inputs=box)
            with gr.Column(scale=2):
                gr.Markdown("### المصادر", rtl=True)
                sources = gr.HTML()
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chat], [chat, sources, box], api_visibility="private")
        clear.click(lambda: ([], "", ""), None, [chat, sources, box], api_visibility="private")
        app.load(lambda: _status_line(assistant), None, status, api_visibility="private")
        gr.api(ask, api_name="ask")
    return app


def launch(assistant: Any, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Serve the app (blocks until stopped)."""
    app = build_app(assistant)
    app.queue(default_concurrency_limit=4).launch(server_name=host, server_port=port, css=CSS, show_error=True)
