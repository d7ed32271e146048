"""What the bot says besides answers, in Chinese and English, as Telegram HTML.

Commands and refusals are bilingual in one message (the bot cannot know a reader's language
before they ask); the rate-limit warning is in the language of the question that hit the limit.
"""

from __future__ import annotations

from bot.formatting import PAPER
from bot.telegram.html import esc

EXAMPLE_QUESTION = "高新大厦有多高？"

NON_TEXT_HTML = "我只能读文字问题。I can only read text questions — please type your question."
EMPTY_HTML = "请发一个问题，例如 Please send a question, e.g. " + esc(EXAMPLE_QUESTION)
UNKNOWN_COMMAND_HTML = "没有这个命令，看看 /help。Unknown command — see /help."
APOLOGY_HTML = "抱歉，出了点问题，请稍后再试。Sorry, something went wrong — please try again."
ASK_FIRST_HTML = "请先问一个问题。Ask a question first."
SOURCES_USAGE_HTML = "用法 Usage: /sources [N]"
EXPIRED_TEXT = "这个回答已过期，请重新提问。That answer has expired — please ask again."
NEW_HTML = "好的，新话题。New conversation: the next question leans on nothing before it."
ISSUE_USAGE_HTML = "用法 Usage: /issue 2024-01-05（或文件名 or a file name; see /issues）"
ARTICLE_FIRST_HTML = "请先提问或列出一期（/latest）。Ask a question or list an issue (/latest) first."


def article_usage_html(count: int) -> str:
    return f"用法 Usage: /article N（1–{count}）"


def article_label(number: int) -> str:
    return f"{number}. 全文 · Full article"


def next_page_label(page: int, pages: int) -> str:
    return f"下一页 · Next ({page}/{pages})"


def start_html() -> str:
    return (
        f"<b>{esc(PAPER)} 问答 · newsqa</b>\n"
        "问我《株洲日报》报道过的事，我用报纸的原文回答：逐字引用句子，注明标题、版面文件和日期；"
        "报纸没写过的，我会直说没找到。\n"
        "Ask me about what the 株洲日报 (Zhuzhou Daily) reported: I answer with the paper's own "
        "sentences, quoted verbatim with headline, issue and date, and say so when it never said it.\n\n"
        f"例如 Try: <code>{esc(EXAMPLE_QUESTION)}</code>\n"
        "/help · /about"
    )


def help_html(max_question_chars: int, questions_per_minute: int) -> str:
    return (
        "<b>怎么用 · How to use</b>\n"
        "直接发问题（中文或英文）。Just send a question, in Chinese or English.\n"
        "在群里请 @我 或回复我的消息。In groups, mention me or reply to my message.\n"
        "在任何聊天里输入 @我 和问题，可直接发送引文。In any chat, type @me and a question to send a quote.\n\n"
        "/sources — 上一个问题的更多段落 · more passages for your last question\n"
        "/sources N — 上一个问题的前 N 条 · the first N passages for your last question\n"
        "/new — 新话题，追问不再接着上一个问题 · forget the conversation\n"
        "/issues — 各期报纸 · the issues, newest first\n"
        "/issue 2024-01-05 — 某一期的标题 · one issue's headlines\n"
        "/latest — 最新一期 · the newest issue's headlines\n"
        "/article N — 第 N 条的全文 · the whole article behind passage N\n"
        "/about — 资料库信息 · what the archive holds\n"
        "/help — 本说明 · this help\n\n"
        f"问题最长 {max_question_chars} 字，每分钟最多 {questions_per_minute} 个问题。\n"
        f"Questions up to {max_question_chars} characters, {questions_per_minute} per minute."
    )


def more_label(remaining: int) -> str:
    return f"更多 · More ({remaining})"


def rate_limited_text(language: str, wait: float) -> str:
    """The limit as a button label of inline results (plain text)."""
    seconds = max(1, int(wait + 0.999))
    return f"Please wait {seconds} s" if language == "en" else f"请 {seconds} 秒后再问"


def rate_limited_html(language: str, wait: float) -> str:
    """The one warning a reader over the limit gets, in ``language`` ("zh" or "en")."""
    seconds = max(1, int(wait + 0.999))
    if language == "en":
        return f"You're asking quickly — please wait {seconds} s before the next question."
    return f"问得太快了，请 {seconds} 秒后再问。"
