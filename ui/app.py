"""The chat page: right-to-left Arabic chat with streamed answers, citations you can open, uploads.

`build_app(assistant)` returns a `gr.Blocks` and launches nothing; `launch(assistant, ingester, serve)`
serves it (with the page's CSS and script, and the login, session bound and upload size limit of
`serve`, the settings' serve section), with the HTTP API of `api.routes` on the same port, and
returns the app.
Everything shown is built by `ui.render` from escaped text, so markup inside an article or a
question is displayed as text. The conversation the engine sees is kept as plain text in a
`gr.State`, never read back from the rendered chat. The engine is `rag.assistant`.

With a `conversations` store (`rag.conversations.ConversationStore`, from the composition root)
every question is saved before it is answered and every answer is committed before it is shown;
a sidebar lists the user's saved chats (the login's user, or one anonymous user) to continue,
rename, delete or export as Markdown, the open chat comes back after a reload, and each answer
takes a thumbs up or down with an optional comment and expected answer (`ui.saved_chats`).

API: the `ask` endpoint (`gradio_client.Client(url).predict(question, api_name="/ask")`) returns
the same JSON object as `rawi ask --json`; the page's own events are private.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Iterator

from core.errors import BadQuestionError, ConfigError, RawiError
from core.results import Answer
from core.settings import ServeSettings
from rag.conversations import ConversationNotFound, title_from
from ui.render import (
    answer_message_html,
    error_message_html,
    pending_answer_html,
    sources_panel_html,
    sources_section_html,
    status_html,
    toast_html,
    upload_report_html,
    user_message_html,
)
from ui.saved_chats import choices, export_file, feedback_values, page_turns, user_of
from ui.uploads import UPLOAD_SUFFIXES, UPLOADS_DIRNAME, Uploader

log = logging.getLogger("rawi.ui")

EXAMPLES = [
    "من هو السفير الروسي لدى ليبيا؟",
    "متى زار حفتر بيلاروسيا؟",
    "ما اسم القاعدة الجوية التي تستخدمها روسيا قرب الكفرة؟",
    "Who is the Russian deputy defence minister who visited Libya?",
]

CSS = """
.gradio-container { direction: rtl; }
#rawi-title, #rawi-title * { text-align: right; }
.rawi-status { font-size: 0.95em; color: var(--body-text-color-subdued); }
.rawi-status b { color: var(--body-text-color); }
.rawi-file, .rawi-model, .rawi-date-value { direction: ltr; unicode-bidi: isolate; }
.rawi-file { font-family: ui-monospace, monospace; font-size: 0.9em; }
.rawi-msg.rawi-rtl { direction: rtl; text-align: right; }
.rawi-msg.rawi-ltr { direction: ltr; text-align: left; }
.rawi-msg { line-height: 1.9; }
a.rawi-cite { text-decoration: none; font-weight: 600; color: var(--color-accent); cursor: pointer; padding: 0 1px; }
a.rawi-cite:hover { text-decoration: underline; }
a.rawi-cite.rawi-short { color: inherit; font-weight: 700; padding: 0; border-bottom: 2px solid var(--color-accent); }
a.rawi-cite.rawi-short strong { font-weight: 700; }
strong.rawi-short-quote { font-weight: 700; text-decoration: underline; text-decoration-color: var(--color-accent); }
.rawi-cited { margin-top: 6px; font-size: 0.88em; opacity: 0.85; }
.rawi-cited-file { margin-inline-end: 10px; white-space: nowrap; }
.rawi-warning { margin-top: 6px; font-size: 0.85em; color: #8a5a00; }
.rawi-unsupported-claim { text-decoration: underline wavy #c0392b; text-underline-offset: 3px; }
.rawi-unsupported-mark, .rawi-unsupported-note { color: #a93226; font-size: 0.85em; margin-inline-start: 4px; }
.rawi-unsupported-note { display: block; margin: 4px 0; }
.rawi-badge { display: inline-block; font-size: 0.8em; font-weight: 600; color: #8a5a00; background: #fff4d6;
  border: 1px solid #f0c36d; border-radius: 999px; padding: 0 10px; margin-bottom: 4px; }
.rawi-abstained .rawi-answer-text { font-style: italic; color: #6b5a2e; }
.message:has(.rawi-abstained) { background: #fffaf0 !important; border: 1px dashed #e3b456 !important; }
.message:has(.rawi-error) { background: #fff1f1 !important; border: 1px solid #e8a0a0 !important; }
.rawi-error .rawi-answer-text { color: #9b1c1c; }
.rawi-thinking { opacity: 0.6; }
.rawi-sources { direction: rtl; text-align: right; max-height: 640px; overflow-y: auto; }
.rawi-sources-empty { color: var(--body-text-color-subdued); line-height: 1.8; }
.rawi-turn { display: none; }
.rawi-sources:not(.rawi-picked) .rawi-turn:last-of-type, .rawi-sources.rawi-picked .rawi-turn.rawi-picked { display: block; }
.rawi-turn-q { font-weight: 600; margin: 4px 0 8px; }
.rawi-note { color: #8a5a00; background: #fffaf0; border-radius: 6px; padding: 6px 10px; margin-bottom: 8px; }
.rawi-others-head { margin: 12px 0 4px; font-size: 0.9em; color: var(--body-text-color-subdued); }
.rawi-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px; margin: 8px 0;
  line-height: 1.9; scroll-margin: 16px; }
.rawi-source summary { cursor: pointer; }
.rawi-source .rawi-title { font-weight: 600; }
.rawi-source .rawi-n { color: var(--color-accent); font-weight: 700; }
.rawi-meta { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 2px 0 6px; }
.rawi-passage { white-space: normal; margin-top: 4px; }
.rawi-passage.rawi-ltr, .rawi-passage[dir=ltr] { text-align: left; }
mark.rawi-quote { background: #ffe27a; color: inherit; padding: 0 2px; border-radius: 3px; }
.rawi-uncited { opacity: 0.8; }
.rawi-source.rawi-selected { border-color: var(--color-accent); box-shadow: 0 0 0 2px var(--color-accent-soft); }
@keyframes rawi-flash { from { background: #fff3b0; } to { background: transparent; } }
.rawi-source.rawi-flash { animation: rawi-flash 1.6s ease-out; }
.rawi-upload-report { list-style: none; padding: 0; margin: 4px 0; }
.rawi-upload-failed { color: #9b1c1c; }
.rawi-upload-ok { color: #1d6b2f; }
#rawi-saved label { direction: rtl; text-align: right; }
"""

# A [n] in the chat opens source n of that answer in the sources panel (any answer, not only the last).
HEAD = """
<script>
(function () {
  document.documentElement.setAttribute('lang', 'ar');
  function openSource(turn, n) {
    var target = document.getElementById('rawi-src-' + turn + '-' + n);
    if (!target) return false;
    var panel = target.closest('.rawi-sources');
    var section = target.closest('.rawi-turn');
    if (panel && section) {
      panel.classList.add('rawi-picked');
      panel.querySelectorAll('.rawi-turn.rawi-picked').forEach(function (s) { s.classList.remove('rawi-picked'); });
      section.classList.add('rawi-picked');
    }
    document.querySelectorAll('.rawi-source.rawi-selected').forEach(function (s) { s.classList.remove('rawi-selected'); });
    target.open = true;
    target.classList.add('rawi-selected');
    target.classList.remove('rawi-flash'); void target.offsetWidth; target.classList.add('rawi-flash');
    target.scrollIntoView({block: 'nearest', behavior: 'smooth'});
    return true;
  }
  document.addEventListener('click', function (ev) {
    var link = ev.target && ev.target.closest ? ev.target.closest('a.rawi-cite') : null;
    if (!link) return;
    var m = (link.getAttribute('href') || '').match(/^#rawi-src-(\\d+)-(\\d+)$/);
    if (!m) return;
    ev.preventDefault();
    ev.stopPropagation();
    openSource(m[1], m[2]);
  }, true);
  window.rawiOpenSource = openSource;
})();
</script>
"""

# Copies the text of the latest finished answer (markers included), without the page's markup.
COPY_JS = """
() => {
  const all = document.querySelectorAll('#rawi-chat .rawi-answer:not(.rawi-streaming) .rawi-answer-text');
  const btn = document.getElementById('rawi-copy');
  if (!all.length) return [];
  const text = all[all.length - 1].innerText.trim();
  const done = () => { if (btn) { const old = btn.dataset.label || btn.innerText; btn.dataset.label = old;
    btn.innerText = '✓ نُسخت'; setTimeout(() => { btn.innerText = old; }, 1500); } };
  const fallback = () => { const ta = document.createElement('textarea'); ta.value = text; document.body.appendChild(ta);
    ta.select(); try { document.execCommand('copy'); } catch (e) {} ta.remove(); done(); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, fallback);
  } else { fallback(); }
  return [];
}
"""

GENERIC_ERROR = "حدث خطأ غير متوقع أثناء الإجابة؛ جرّب مرة أخرى. / Something went wrong while answering; please try again."


def auth_pair(serve: ServeSettings) -> tuple[str, str] | None:
    """`RAWI_AUTH=user:password` (the serve section's `auth`) as Gradio's (user, password); None when login is off."""
    raw = serve.auth.get_secret_value() if hasattr(serve.auth, "get_secret_value") else str(serve.auth or "")
    if not raw:
        return None
    user, sep, password = raw.partition(":")
    if not sep or not user.strip() or not password:
        raise ConfigError("RAWI_AUTH must look like user:password (both parts non-empty).")
    return user.strip(), password


def _history(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The conversation as the engine wants it: plain text, failed turns left out."""
    history: list[dict[str, str]] = []
    for t in turns:
        if t.get("failed") or t.get("answer") is None:
            continue
        history += [{"role": "user", "content": t["question"]}, {"role": "assistant", "content": t["answer"]}]
    return history


def _chat(turns: list[dict[str, Any]]) -> list[dict[str, str]]:
    messages = []
    for t in turns:
        messages += [{"role": "user", "content": t["user_html"]}, {"role": "assistant", "content": t["bot_html"]}]
    return messages


def _panel(turns: list[dict[str, Any]]) -> str:
    return sources_panel_html([t["sources_html"] for t in turns if t.get("sources_html")])


def build_app(assistant: Any, ingester: Any = None, serve: ServeSettings | None = None,
              conversations: Any = None) -> Any:
    """The Gradio Blocks app over `assistant`; nothing is launched here.

    With an `ingester` (`ingest.pipeline.Ingester` of the same store) the page also takes uploads,
    saved in the store folder's `uploads/`, up to `serve.max_upload_mb` each (`serve`: the
    settings' serve section, default its defaults). With `conversations` (a
    `rag.conversations.ConversationStore`) chats are saved and rated (see the module docstring).
    """
    from core.offline import go_offline

    go_offline()
    import gradio as gr

    serve = serve or ServeSettings()
    uploader = (Uploader(ingester, Path(ingester.folder) / UPLOADS_DIRNAME, serve.max_upload_mb)
                if ingester is not None else None)

    def status() -> str:
        try:
            return status_html(assistant.status())
        except Exception:  # the status line must never take the page down
            log.exception("status failed")
            return status_html({"mode": assistant.mode, "model": "", "articles": 0, "chunks": 0})

    chats = conversations

    def saved_list(user: str, current: str | None) -> Any:
        return gr.Radio(choices=choices(chats, user), value=current) if chats is not None else gr.skip()

    def not_saved(err: Exception) -> None:
        log.error("saving the conversation failed: %s", err)
        gr.Warning(toast_html("تعذّر حفظ المحادثة. / The conversation could not be saved."), duration=6)

    def save_question(user: str, conv_id: str | None, message: str) -> tuple[str | None, str | None]:
        """(conversation id, turn id) with the question saved, a new conversation if needed."""
        if chats is None:
            return conv_id, None
        try:
            try:
                if conv_id:
                    return conv_id, chats.start_turn(user, conv_id, message).id
            except ConversationNotFound:  # deleted meanwhile (another tab): this question starts a new one
                pass
            conv_id = chats.create(user, title_from(message)).id
            return conv_id, chats.start_turn(user, conv_id, message).id
        except Exception as err:
            not_saved(err)
            return conv_id, None

    def save_answer(user: str, turn_id: str | None, answer: Answer | None, error: str = "") -> None:
        if chats is None or turn_id is None:
            return
        try:
            chats.finish_turn(user, turn_id, answer, error=error)
        except Exception as err:
            not_saved(err)

    def respond(message: str, turns: list[dict[str, Any]] | None, conv_id: str | None = None,
                request: Any = None) -> Iterator[tuple]:
        turns = list(turns or [])
        message = message or ""
        skip8 = (gr.skip(),) * 8
        try:
            assistant.check_question(message)
        except BadQuestionError as err:
            # A toast, not gr.Error: the chat and the typed text stay as they were, nothing turns red.
            gr.Warning(toast_html(str(err)), duration=6, title="تنبيه")
            yield skip8
            return
        user = user_of(request)
        # Saved before it is answered, so a server stopped mid-answer still has the question.
        conv_id, turn_id = save_question(user, conv_id, message)
        turn = len(turns) + 1
        current: dict[str, Any] = {
            "question": message, "answer": None, "user_html": user_message_html(message),
            "bot_html": pending_answer_html("", turn), "sources_html": None, "turn_id": turn_id, "rating": None,
        }
        history = _history(turns)
        turns.append(current)
        yield _chat(turns), gr.skip(), "", turns, gr.skip(), conv_id, conv_id, saved_list(user, conv_id)
        text = ""
        try:
            for event in assistant.stream(message, history=history):
                if isinstance(event, Answer):
                    save_answer(user, turn_id, event)  # committed before the answer is shown
                    files = [c.file for c in event.citations]
                    file_texts = assistant.file_texts(files)
                    current.update(answer=event.answer, bot_html=answer_message_html(event, turn),
                                   sources_html=sources_section_html(event, file_texts, turn))
                else:
                    text += event
                    current["bot_html"] = pending_answer_html(text, turn)
                    yield _chat(turns), gr.skip(), gr.skip(), turns, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        except RawiError as err:
            save_answer(user, turn_id, None, str(err))
            current.update(failed=True, bot_html=error_message_html(str(err), turn))
        except Exception as err:
            log.exception("answering failed")
            save_answer(user, turn_id, None, f"{type(err).__name__}")
            current.update(failed=True, bot_html=error_message_html(GENERIC_ERROR, turn))
        yield _chat(turns), _panel(turns), gr.skip(), turns, status(), gr.skip(), gr.skip(), saved_list(user, conv_id)

    def clear() -> tuple:
        """A new, empty chat; the saved ones stay in the list."""
        return [], sources_panel_html([]), "", [], None, None, gr.Radio(value=None), gr.update(visible=False)

    def show(user: str, conv_id: str | None) -> tuple:
        """A saved conversation on the page: chat, sources, state, the list and its title."""
        conv = chats.get(user, conv_id)
        turns = page_turns(conv, assistant.file_texts)
        return (gr.Chatbot(value=_chat(turns), feedback_value=feedback_values(turns)), _panel(turns), turns, conv_id,
                conv_id, saved_list(user, conv_id), conv.title)

    def restore(browser_conv: str | None, request: Any) -> tuple:
        """On page load: the user's saved chats, and the chat this browser had open.

        With nothing to reopen the page's state is left alone: on a busy server this can run after
        the first question has already started a conversation, which it must not forget."""
        user = user_of(request)
        if browser_conv:
            try:
                return show(user, browser_conv)
            except ConversationNotFound:
                pass
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), saved_list(user, None), gr.skip()

    def pick(conv_id: str | None, request: Any) -> tuple:
        if not conv_id:
            return (gr.skip(),) * 7
        try:
            return show(user_of(request), conv_id)
        except ConversationNotFound as err:
            gr.Warning(toast_html(str(err)), duration=6)
            return (gr.skip(),) * 5 + (saved_list(user_of(request), None), "")

    def rename(conv_id: str | None, title: str, request: Any) -> Any:
        if not conv_id:
            gr.Warning(toast_html("اختر محادثة أولاً. / Pick a conversation first."), duration=5)
            return gr.skip()
        try:
            chats.rename(user_of(request), conv_id, title)
        except RawiError as err:
            gr.Warning(toast_html(str(err)), duration=6)
        return saved_list(user_of(request), conv_id)

    def delete(conv_id: str | None, request: Any) -> tuple:
        if not conv_id:
            return (gr.skip(),) * 9
        try:
            chats.delete(user_of(request), conv_id)
        except RawiError as err:
            gr.Warning(toast_html(str(err)), duration=6)
        return [], sources_panel_html([]), "", [], None, None, saved_list(user_of(request), None), "", \
            gr.update(value=None, visible=False)

    def export(conv_id: str | None, request: Any) -> Any:
        if not conv_id:
            gr.Warning(toast_html("اختر محادثة أولاً. / Pick a conversation first."), duration=5)
            return gr.skip()
        try:
            return gr.update(value=str(export_file(chats, user_of(request), conv_id)), visible=True)
        except RawiError as err:
            gr.Warning(toast_html(str(err)), duration=6)
            return gr.skip()

    def like(data: Any, turns: list[dict[str, Any]] | None, request: Any) -> tuple:
        """A thumb on an answer: recorded at once; the form for a comment and the expected answer opens."""
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turns = turns or []
        number = int(index) // 2
        rating = {True: "up", False: "down", "Like": "up", "Dislike": "down"}.get(data.liked)
        if rating is None or not (0 <= number < len(turns)) or not turns[number].get("turn_id"):
            return (gr.skip(),) * 5
        try:
            chats.record_feedback(user_of(request), turns[number]["turn_id"], rating)
        except RawiError as err:
            gr.Warning(toast_html(str(err)), duration=6)
            return (gr.skip(),) * 5
        turns[number]["rating"] = rating
        head = (f"**{'👍' if rating == 'up' else '👎'} الإجابة {number + 1}**: أضف ملاحظة أو الإجابة الصحيحة إن شئت "
                "(تُستعمل في التقييم).")
        pending = {"turn_id": turns[number]["turn_id"], "rating": rating}
        return gr.update(visible=True), head, "", "", pending

    def save_feedback(pending: dict[str, Any] | None, comment: str, expected: str, request: Any) -> Any:
        if not pending:
            return gr.skip()
        try:
            chats.record_feedback(user_of(request), pending["turn_id"], pending["rating"], comment, expected)
        except RawiError as err:
            gr.Warning(toast_html(str(err)), duration=6)
            return gr.skip()
        gr.Info(toast_html("شكراً، حُفظت ملاحظتك. / Thank you, your feedback is saved."), duration=4)
        return gr.update(visible=False)

    # Gradio passes the request and the like event by their parameters' type hints; gradio is imported
    # lazily here, so those hints are set on the functions rather than written as (unresolvable) strings.
    for handler in (respond, restore, pick, rename, delete, export, like, save_feedback):
        handler.__annotations__["request"] = gr.Request
    like.__annotations__["data"] = gr.LikeData

    def upload(files: list[str] | None) -> tuple:
        if not files or uploader is None:
            return gr.skip(), gr.skip(), gr.skip()
        paths = [f if isinstance(f, str) else getattr(f, "name", str(f)) for f in files]
        try:
            lines = [(r.ok, r.name, r.message) for r in uploader.add(paths)]
        except RawiError as err:
            lines = [(False, ", ".join(Path(p).name for p in paths), str(err))]
        except Exception:
            log.exception("upload failed")
            lines = [(False, ", ".join(Path(p).name for p in paths), "تعذّرت إضافة الملفات بسبب خطأ غير متوقع.")]
        return upload_report_html(lines), status(), None

    def ask(question: str) -> dict[str, Any]:
        """Answer one question with verified citations: the same JSON object as `rawi ask --json`."""
        try:
            return assistant.ask(question).to_dict()
        except RawiError as err:
            raise gr.Error(str(err), print_exception=False) from None

    with gr.Blocks(title="rawi · راوي") as app:
        gr.Markdown("# راوي · rawi\nأسئلة وأجوبة من المقالات الإخبارية، مع ذكر المصدر والمقطع المقتبس.",
                    rtl=True, elem_id="rawi-title")
        status_line = gr.HTML(status(), elem_id="rawi-status")
        turns_state = gr.State([])
        conv_state = gr.State(None)  # the saved conversation on the page (None: not saved yet)
        # The open conversation's id in this browser, so a reload brings it back (checked against the user).
        conv_browser = gr.BrowserState(None, storage_key="rawi-conversation")
        with gr.Sidebar(label="المحادثات", open=True, visible=chats is not None, position="right",
                        elem_id="rawi-sidebar"):
            gr.Markdown("### المحادثات المحفوظة", rtl=True)
            new_chat = gr.Button("محادثة جديدة", variant="primary", elem_id="rawi-new-chat")
            saved = gr.Radio(choices=[], value=None, label="تابع محادثة", elem_id="rawi-saved", rtl=True)
            title_box = gr.Textbox(label="عنوان المحادثة", rtl=True, max_lines=1, elem_id="rawi-title-box")
            with gr.Row():
                rename_btn = gr.Button("إعادة التسمية", size="sm", elem_id="rawi-rename")
                delete_btn = gr.Button("حذف", size="sm", variant="stop", elem_id="rawi-delete")
            export_btn = gr.Button("تصدير (Markdown)", size="sm", elem_id="rawi-export")
            export_out = gr.File(label="الملف المصدَّر", visible=False, interactive=False, elem_id="rawi-export-file")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chat = gr.Chatbot(
                    rtl=True, height=520, sanitize_html=True, latex_delimiters=[], label="المحادثة",
                    elem_id="rawi-chat", feedback_options=("Like", "Dislike") if chats is not None else None,
                    buttons=[], group_consecutive_messages=False, allow_tags=False,
                )
                feedback_pending = gr.State(None)
                with gr.Group(visible=False, elem_id="rawi-feedback-box") as feedback_box:
                    feedback_head = gr.Markdown("", rtl=True)
                    feedback_comment = gr.Textbox(label="ملاحظة (اختياري)", rtl=True, lines=1, max_lines=4,
                                                  elem_id="rawi-feedback-comment")
                    feedback_expected = gr.Textbox(label="الإجابة الصحيحة (اختياري)", rtl=True, lines=1, max_lines=4,
                                                   elem_id="rawi-feedback-expected")
                    feedback_save = gr.Button("إرسال الملاحظة", size="sm", elem_id="rawi-feedback-save")
                box = gr.Textbox(rtl=True, placeholder="اكتب سؤالك هنا ثم اضغط Enter…", label="السؤال", lines=1,
                                 max_lines=6, elem_id="rawi-question", autofocus=True)
                with gr.Row():
                    send = gr.Button("إرسال", variant="primary", elem_id="rawi-send")
                    copy = gr.Button("نسخ الإجابة", elem_id="rawi-copy")
                    clear_btn = gr.Button("مسح المحادثة", elem_id="rawi-clear")
                gr.Examples(EXAMPLES, inputs=box, label="أمثلة")
            with gr.Column(scale=2, min_width=300):
                gr.Markdown("### المصادر", rtl=True)
                sources = gr.HTML(sources_panel_html([]), elem_id="rawi-sources")
                with gr.Accordion("إضافة مقالات", open=False, elem_id="rawi-upload-box", visible=uploader is not None):
                    gr.Markdown(
                        f"ملفات ‎.txt‎ أو ‎.md‎ أو ‎.html‎ أو ‎.pdf‎ أو ‎.docx‎، حتى {serve.max_upload_mb:g} ميغابايت للملف. "
                        "تُحفظ في مجلد ‎uploads‎ داخل المخزن وتُفهرس فوراً.", rtl=True,
                    )
                    files = gr.File(label="ملفات المقالات", file_count="multiple", file_types=list(UPLOAD_SUFFIXES),
                                    type="filepath", elem_id="rawi-upload")
                    upload_report = gr.HTML("", elem_id="rawi-upload-report")

        on_page = [chat, sources, box, turns_state, status_line, conv_state, conv_browser, saved]
        gr.on([box.submit, send.click], respond, [box, turns_state, conv_state], on_page,
              api_visibility="private", trigger_mode="once", show_progress="minimal")
        cleared = [chat, sources, box, turns_state, conv_state, conv_browser, saved, feedback_box]
        gr.on([clear_btn.click, new_chat.click], clear, None, cleared, api_visibility="private")
        chat.clear(clear, None, cleared, api_visibility="private")
        if chats is not None:
            shown = [chat, sources, turns_state, conv_state, conv_browser, saved, title_box]
            app.load(restore, [conv_browser], shown, api_visibility="private")
            saved.input(pick, [saved], shown, api_visibility="private")
            rename_btn.click(rename, [conv_state, title_box], [saved], api_visibility="private")
            delete_btn.click(delete, [conv_state], [chat, sources, box, turns_state, conv_state, conv_browser, saved,
                                                    title_box, export_out], api_visibility="private")
            export_btn.click(export, [conv_state], [export_out], api_visibility="private")
            chat.like(like, [turns_state], [feedback_box, feedback_head, feedback_comment, feedback_expected,
                                            feedback_pending], api_visibility="private")
            feedback_save.click(save_feedback, [feedback_pending, feedback_comment, feedback_expected], [feedback_box],
                                api_visibility="private")
        copy.click(None, None, None, js=COPY_JS, api_visibility="private")
        files.upload(upload, [files], [upload_report, status_line, files], api_visibility="private",
                     concurrency_limit=1)
        app.load(status, None, status_line, api_visibility="private")
        gr.api(ask, api_name="ask")
    return app


def launch(assistant: Any, ingester: Any = None, serve: ServeSettings | None = None, *, host: str | None = None,
           port: int | None = None, prevent_thread_lock: bool = False, quiet: bool = False,
           conversations: Any = None) -> Any:
    """Serve the app with its CSS, script, and the login (`RAWI_AUTH`), session bound and upload limit
    of `serve` (the settings' serve section, default its defaults); returns the app. `conversations`:
    the saved chats (`rawi.compose.Rawi.conversations()`), None to save nothing.

    `host` and `port` override the section's. Blocks until stopped unless `prevent_thread_lock`
    (then call `app.close()`).
    """
    from fastapi.middleware import Middleware

    from api.routes import build_api
    from ui.sessions import ForgetOneShotSessions

    serve = serve or ServeSettings()
    auth = auth_pair(serve)
    app = build_app(assistant, ingester, serve, conversations)
    app.queue(default_concurrency_limit=4)
    api = build_api(assistant, serve, auth)
    app.launch(
        server_name=host or serve.host, server_port=port or serve.port, css=CSS, head=HEAD, auth=auth,
        auth_message="راوي: سجّل الدخول / rawi: please sign in" if auth else None,
        max_file_size=int(serve.max_upload_mb * 1_000_000), show_error=False,
        prevent_thread_lock=prevent_thread_lock, quiet=quiet, footer_links=["api"],
        state_session_capacity=serve.max_sessions,  # Gradio keeps ~50 kB per session, 10,000 by default
        # The API's routes and the login limit go into the server Gradio builds (its FastAPI app's own
        # arguments), so the chat and the API share one port, one process and one login.
        # One-shot calls to the page's `ask` API leave no session state behind (ui/sessions.py).
        app_kwargs={"routes": api.routes, "middleware": [*api.middleware, Middleware(ForgetOneShotSessions)]},
    )
    return app
