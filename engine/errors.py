"""Define the one tree of errors that Banfa raises.

Every error Banfa raises on purpose is an `EngineError`. Each also subclasses the builtin that fits, so a
caller that knows nothing of Banfa can still catch it sensibly. Messages are built from identifiers and are
in Chinese, because officers read them; entrypoints map each class to an exit code or an HTTP status.

    EngineError
    ├── NoticeError
    │   ├── UndecodableNotice (ValueError)          bytes that are not text in a known encoding
    │   └── NoticeParseError (ValueError)            text that cannot be read as a notice
    │       ├── EmptyNotice                          nothing but white space
    │       └── NotANotice                           text, but no title or no numbered items
    ├── RegistryError (ValueError)                   a department registry that is malformed
    ├── UnknownDepartment (LookupError)              a name or key the registry does not know
    ├── CalendarError (ValueError)                   a calendar override that is malformed
    ├── CatalogueError (ValueError)                  a catalogue file that fails validation
    ├── CatalogueExists (FileExistsError)            refusing to overwrite a reviewed catalogue
    ├── DutyNotFound (LookupError)                   a duty id no catalogue knows
    ├── TemplateError (ValueError)                   a Word template that lacks a style or part Banfa needs
    ├── UploadRejected (ValueError)                  an uploaded draft that cannot be kept, with the reason
    ├── DocumentNotFound (LookupError)               a document id the store does not hold
    ├── DocumentStoreCorrupt (OSError)               a document manifest that cannot be read back
    ├── IllegalTransition (ValueError)               an action the duty's state or conditions do not allow
    ├── Forbidden (PermissionError)                  a role or department that may not act
    ├── UnknownUser (LookupError)                    a user id no account has
    ├── ConcurrencyConflict (RuntimeError)           a stale version: someone else changed the duty first
    ├── InvalidInput (ValueError)                    a value a person typed that cannot be used
    ├── DemoStalled (TimeoutError)                   a replay that waited too long for machine work
    ├── PolicyError (ValueError)                     a reminder policy that is malformed
    └── MailError (OSError)                          mail that could not be handed over
        ├── MailUnavailable                          no session with the server: nothing sent
        ├── MailRejected                             the server refused the message: not sent
        └── MailUncertain                            the connection broke mid-message: maybe sent

Foreign errors (tomllib, OSError, UnicodeDecodeError) are translated at the adapter with `raise … from exc`.
"""

from __future__ import annotations

from collections.abc import Sequence


class EngineError(Exception):
    """Base of every error Banfa raises on purpose."""


class NoticeError(EngineError):
    """A notice could not be read."""


class UndecodableNotice(NoticeError, ValueError):
    """The bytes are not text in UTF-8, UTF-16 or GB18030 (a superset of GBK and GB2312)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"无法识别文件编码：{source}（{reason}）")


class NoticeParseError(NoticeError, ValueError):
    """The text cannot be read as a notice."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"不是可识别的通知：{source}（{reason}）")


class EmptyNotice(NoticeParseError):
    """The text holds nothing but white space."""

    def __init__(self, source: str) -> None:
        super().__init__(source, "文件为空")


class NotANotice(NoticeParseError):
    """The text has no title of an official document, or no numbered items."""


class RegistryError(EngineError, ValueError):
    """The department registry is malformed: a missing field, a duplicate key or a name claimed twice."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"部门名录有误：{problem}")


class UnknownDepartment(EngineError, LookupError):
    """A department name or key that the registry does not know."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"部门名录中没有该部门：{name}")


class CalendarError(EngineError, ValueError):
    """A calendar override file (rules/calendar/<year>.toml) is malformed."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"节假日安排文件有误：{source}（{problem}）")


class CatalogueError(EngineError, ValueError):
    """A catalogue file fails validation; `problems` lists every failure, not just the first."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        listed = "；".join(self.problems)
        super().__init__(f"任务清单有误：{source}：{listed}")


class CatalogueExists(EngineError, FileExistsError):
    """A catalogue for this notice already exists and may hold a person's corrections."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"任务清单已存在，未覆盖：{path}（如确需重写，请加 --force）")


class DutyNotFound(EngineError, LookupError):
    """A duty id that no catalogue holds."""

    def __init__(self, duty_id: str) -> None:
        self.duty_id = duty_id
        super().__init__(f"没有该任务：{duty_id}")


class TemplateError(EngineError, ValueError):
    """A Word template lacks a style or a part that rendering needs."""

    def __init__(self, template: str, problem: str) -> None:
        self.template = template
        self.problem = problem
        super().__init__(f"公文模板有误：{template}（{problem}）")


class UploadRejected(EngineError, ValueError):
    """An uploaded draft that cannot be kept; `reason` says why, in words an officer understands."""

    def __init__(self, filename: str, reason: str) -> None:
        self.filename = filename
        self.reason = reason
        super().__init__(f"上传的文稿未被接受：{filename}（{reason}）")


class DocumentNotFound(EngineError, LookupError):
    """A document id the store does not hold."""

    def __init__(self, document_id: str) -> None:
        self.document_id = document_id
        super().__init__(f"没有该文档：{document_id}")


class DocumentStoreCorrupt(EngineError, OSError):
    """The store's record of versions is damaged; nothing is written over it until a person repairs it."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"文档版本清单已损坏：{path}（{problem}）")


class IllegalTransition(EngineError, ValueError):
    """An action the duty's state does not allow, or whose conditions are not met; nothing was changed."""

    def __init__(self, duty_id: str, state: str, action: str, why: str = "") -> None:
        self.duty_id, self.state, self.action = duty_id, state, action
        detail = f"：{why}" if why else ""
        super().__init__(f"任务 {duty_id} 当前状态为“{state}”，不能执行“{action}”{detail}")


class Forbidden(EngineError, PermissionError):
    """A user whose role or department does not allow the action."""

    def __init__(self, user_id: str, action: str, why: str) -> None:
        self.user_id, self.action = user_id, action
        super().__init__(f"用户 {user_id} 无权执行“{action}”：{why}")


class UnknownUser(EngineError, LookupError):
    """A user id no account has."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"没有该用户：{user_id}")


class ConcurrencyConflict(EngineError, RuntimeError):
    """Another action changed the duty first; this one was not applied and may be retried."""

    def __init__(self, duty_id: str) -> None:
        self.duty_id = duty_id
        super().__init__(f"任务 {duty_id} 已被他人同时修改，本次操作未生效，请刷新后重试")


class InvalidInput(EngineError, ValueError):
    """A value a person typed that Banfa cannot use (a user name, a role, a date); nothing was changed."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"输入有误：{problem}")


class DemoStalled(EngineError, TimeoutError):
    """The replay waited too long for a duty's machine work (is a worker running?)."""

    def __init__(self, duty_id: str, seconds: float) -> None:
        self.duty_id = duty_id
        super().__init__(
            f"任务 {duty_id} 的后台处理 {seconds:.0f} 秒内未完成（请检查 Prefect 工作进程是否在运行）"
        )


class PolicyError(EngineError, ValueError):
    """The reminder policy (rules/reminders.toml) is malformed."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"提醒规则有误：{source}（{problem}）")


class MailError(EngineError, OSError):
    """Mail could not be handed over; the subclass says whether the server may have taken it."""


class MailUnavailable(MailError):
    """The mail server could not be reached or refused the session: nothing was sent."""

    def __init__(self, server: str, reason: str) -> None:
        self.server = server
        super().__init__(f"无法连接邮件服务器 {server}：{reason}")


class MailRejected(MailError):
    """The server answered that it will not take the message: it was not sent."""

    def __init__(self, message_id: str, reason: str, *, permanent: bool = True) -> None:
        self.message_id = message_id
        self.permanent = permanent  # a 5xx answer; a 4xx one is worth another try later
        super().__init__(f"邮件被服务器拒收 {message_id}：{reason}")


class MailUncertain(MailError):
    """The connection broke while a message was being handed over: the server may or may not have it."""

    def __init__(self, message_id: str, reason: str) -> None:
        self.message_id = message_id
        super().__init__(f"邮件投递结果不明 {message_id}：{reason}")
