"""Define the one tree of errors that Banfa raises.

Every error Banfa raises on purpose is an `EngineError`, under one middle class per way a caller must react
(an entrypoint maps the middle classes with one table: the portal to HTTP statuses, the CLI keeps the exit
codes its README lists for some leaves). Each leaf also subclasses the builtin that fits, so a caller that
knows nothing of Banfa can still catch it sensibly. Messages are built from identifiers and are in Chinese,
because officers read them. A test checks that this drawing and the classes agree.

    EngineError
    ├── NotFound (LookupError)                       404: an id nothing holds
    │   ├── DutyNotFound                             a duty id no catalogue or database holds
    │   ├── NoticeNotFound                           a notice id never ingested
    │   ├── DocumentNotFound                         a document id the store does not hold
    │   ├── UnknownUser                              a user id no account has
    │   └── UnknownDepartment                        a name or key the registry does not know
    ├── Forbidden (PermissionError)                  403: who asks may not
    │   ├── NotPermitted                             a role or department that may not take the action
    │   ├── NotReadable                              a duty, document or reply the user may not see
    │   └── LoginRefused                             a wrong password, a disabled or locked account
    ├── Conflict                                     409: the state of things does not allow it now
    │   ├── IllegalTransition (ValueError)           an action the duty's state or conditions do not allow
    │   ├── MachineWorkPending                       the stage's documents are still being made
    │   ├── ConcurrencyConflict (RuntimeError)       a stale version: someone else changed the duty first
    │   ├── UserExists                               an account id that is taken
    │   ├── CatalogueExists (FileExistsError)        refusing to overwrite a reviewed catalogue
    │   └── RestoreRefused                           a restore into a data directory or database in use
    ├── Invalid (ValueError)                         422: what was given cannot be used
    │   ├── NoticeError                              a notice that cannot be read
    │   │   ├── UndecodableNotice                    bytes that are not text in a known encoding
    │   │   │   └── UnreadableNoticeFile             a .docx or PDF whose text cannot be had, or an old .doc
    │   │   └── NoticeParseError                     text that cannot be read as a notice
    │   │       ├── EmptyNotice                      nothing but white space
    │   │       ├── NotANotice                       text, but no title of an official document
    │   │       └── DuplicateDuties                  numbering that repeats, so that two duties share an id
    │   ├── UploadRejected                           an uploaded draft that cannot be kept, with the reason
    │   ├── BackupDamaged                            a file that is not a Banfa backup, or fails its checksums
    │   └── InvalidInput                             a value a person typed that cannot be used
    ├── ConfigurationError (ValueError)              the data people edit, or the settings, are wrong
    │   ├── RegistryError                            a department registry that is malformed
    │   ├── CalendarError                            a calendar override that is malformed
    │   ├── CatalogueError                           a catalogue file that fails validation
    │   ├── TemplateError                            a template that lacks a style or part, or fails to render
    │   ├── PolicyError                              a reminder policy that is malformed
    │   └── PlacementRefused                         parts of `banfa up` that cannot run apart with the settings
    └── Unavailable (OSError)                        503: something Banfa relies on is down or damaged
        ├── DatabaseUnavailable                      the database cannot be reached or stays locked
        ├── DocumentStoreCorrupt                     a document manifest that cannot be read back
        ├── PrefectUnavailable                       a local Prefect process did not start or answer
        ├── DemoStalled (TimeoutError)               a replay that waited too long for machine work
        └── MailError                                mail that could not be handed over
            ├── MailUnavailable                      no session with the server: nothing sent
            ├── MailRejected                         the server refused the message: not sent
            └── MailUncertain                        the connection broke mid-message: maybe sent

Foreign errors (tomllib, OSError, UnicodeDecodeError, SQLAlchemy) are translated at the adapter with
`raise … from exc`.
"""

from __future__ import annotations

from collections.abc import Sequence


class EngineError(Exception):
    """Base of every error Banfa raises on purpose."""


class NotFound(EngineError, LookupError):
    """An id that nothing holds: a duty, a document, a user, a department."""


class Forbidden(EngineError, PermissionError):
    """Who asks may not: a role or department that the action, or the reading, is not open to."""


class Conflict(EngineError):
    """The action is sound but the state of things does not allow it now; reloading may tell why."""


class Invalid(EngineError, ValueError):
    """What was given cannot be used: a notice, an upload, a value a person typed. Nothing was changed."""


class ConfigurationError(EngineError, ValueError):
    """The data people edit (registry, calendar, catalogues, policy, templates) or the settings are wrong."""


class Unavailable(EngineError, OSError):
    """Something Banfa relies on is down or damaged: the database, a store, Prefect, the mail server."""


class NoticeError(Invalid):
    """A notice could not be read."""


class UndecodableNotice(NoticeError):
    """The bytes are not text in UTF-8, UTF-16 or GB18030 (a superset of GBK and GB2312)."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"无法识别文件编码：{source}（{reason}）")


class UnreadableNoticeFile(UndecodableNotice):
    """A Word or PDF file whose text cannot be had: damaged, encrypted, a scan, or an old binary .doc.

    A kind of UndecodableNotice, so callers that refuse bytes they cannot read refuse these alike; only the
    message differs, since the encoding is not what went wrong.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        NoticeError.__init__(self, f"无法读取通知文件：{source}（{reason}）")


class NoticeParseError(NoticeError):
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
    """The text has no title of an official document."""


class DuplicateDuties(NoticeParseError):
    """Two duties would share an id: the numbering repeats, as in a notice pasted twice into one file."""

    def __init__(self, source: str, ids: Sequence[str]) -> None:
        self.ids = tuple(ids)
        shown = "、".join(self.ids[:3]) + ("等" if len(self.ids) > 3 else "")
        super().__init__(
            source, f"{len(self.ids)} 项任务的编号重复（{shown}）：条目编号重复出现，像是同一份通知粘贴了多次"
        )


class RegistryError(ConfigurationError):
    """The department registry is malformed: a missing field, a duplicate key or a name claimed twice."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"部门名录有误：{problem}")


class UnknownDepartment(NotFound):
    """A department name or key that the registry does not know."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"部门名录中没有该部门：{name}")


class CalendarError(ConfigurationError):
    """A calendar override file (rules/calendar/<year>.toml) is malformed."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"节假日安排文件有误：{source}（{problem}）")


class CatalogueError(ConfigurationError):
    """A catalogue file fails validation; `problems` lists every failure, not just the first."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        listed = "；".join(self.problems)
        super().__init__(f"任务清单有误：{source}：{listed}")


class CatalogueExists(Conflict, FileExistsError):
    """A catalogue for this notice already exists and may hold a person's corrections."""

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__(f"任务清单已存在，未覆盖：{path}（如确需重写，请加 --force）")


class DutyNotFound(NotFound):
    """A duty id that no catalogue holds."""

    def __init__(self, duty_id: str) -> None:
        self.duty_id = duty_id
        super().__init__(f"没有该任务：{duty_id}")


class NoticeNotFound(NotFound):
    """A notice id that was never ingested."""

    def __init__(self, notice_id: str) -> None:
        self.notice_id = notice_id
        super().__init__(f"没有该通知：{notice_id}")


class TemplateError(ConfigurationError):
    """A Word template lacks a style or a part that rendering needs."""

    def __init__(self, template: str, problem: str) -> None:
        self.template = template
        self.problem = problem
        super().__init__(f"公文模板有误：{template}（{problem}）")


class UploadRejected(Invalid):
    """An uploaded draft that cannot be kept; `reason` says why, in words an officer understands."""

    def __init__(self, filename: str, reason: str) -> None:
        self.filename = filename
        self.reason = reason
        super().__init__(f"上传的文稿未被接受：{filename}（{reason}）")


class DocumentNotFound(NotFound):
    """A document id the store does not hold."""

    def __init__(self, document_id: str) -> None:
        self.document_id = document_id
        super().__init__(f"没有该文档：{document_id}")


class DocumentStoreCorrupt(Unavailable):
    """The store's record of versions is damaged; nothing is written over it until a person repairs it."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"文档版本清单已损坏：{path}（{problem}）")


class IllegalTransition(Conflict, ValueError):
    """An action the duty's state does not allow, or whose conditions are not met; nothing was changed."""

    def __init__(self, duty_id: str, state: str, action: str, why: str = "") -> None:
        self.duty_id, self.state, self.action = duty_id, state, action
        detail = f"：{why}" if why else ""
        super().__init__(f"任务 {duty_id} 当前状态为“{state}”，不能执行“{action}”{detail}")


class NotPermitted(Forbidden):
    """A user whose role or department does not allow the action."""

    def __init__(self, user_id: str, action: str, why: str) -> None:
        self.user_id, self.action = user_id, action
        super().__init__(f"用户 {user_id} 无权执行“{action}”：{why}")


class NotReadable(Forbidden):
    """A duty, document or reply the user's department and role do not let them see."""

    def __init__(self, user_id: str, what: str) -> None:
        self.user_id, self.what = user_id, what
        super().__init__(f"用户 {user_id} 无权查看：{what}")


class LoginRefused(Forbidden):
    """A login that does not open a session; the message never says whether the account exists."""

    def __init__(self, user_id: str, why: str) -> None:
        self.user_id = user_id
        super().__init__(f"登录失败：{why}")


class MachineWorkPending(Conflict):
    """The system is still making the documents of the duty's stage: ending the stage now would lose them."""

    def __init__(self, duty_id: str, action: str) -> None:
        self.duty_id, self.action = duty_id, action
        super().__init__(f"任务 {duty_id}：系统正在生成本阶段文稿，请稍候（“{action}”未执行）")


class UserExists(Conflict):
    """An account with this id exists already; `banfa user update` changes it."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"用户 {user_id} 已存在（修改请用 banfa user update）")


class UnknownUser(NotFound):
    """A user id no account has."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id
        super().__init__(f"没有该用户：{user_id}")


class ConcurrencyConflict(Conflict, RuntimeError):
    """Another action changed the duty first; this one was not applied and may be retried."""

    def __init__(self, duty_id: str) -> None:
        self.duty_id = duty_id
        super().__init__(f"任务 {duty_id} 已被他人同时修改，本次操作未生效，请刷新后重试")


class InvalidInput(Invalid):
    """A value a person typed that Banfa cannot use (a user name, a role, a date); nothing was changed."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"输入有误：{problem}")


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached, or another writer held it locked past the busy timeout."""

    def __init__(self, database: str, reason: str) -> None:
        self.database = database
        super().__init__(f"数据库暂时无法使用：{database}（{reason}）")


class PrefectUnavailable(Unavailable):
    """A local Prefect process (server, pool, deployment, worker) did not start or answer; see its log."""

    def __init__(self, what: str, detail: str) -> None:
        self.what = what
        super().__init__(f"Prefect 未能启动：{what}（{detail}）")


class DemoStalled(Unavailable, TimeoutError):
    """The replay waited too long for a duty's machine work (is a worker running?)."""

    def __init__(self, duty_id: str, seconds: float) -> None:
        self.duty_id = duty_id
        super().__init__(
            f"任务 {duty_id} 的后台处理 {seconds:.0f} 秒内未完成（请检查 Prefect 工作进程是否在运行）"
        )


class PolicyError(ConfigurationError):
    """The reminder policy (rules/reminders.toml) is malformed."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"提醒规则有误：{source}（{problem}）")


class MailError(Unavailable):
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


class PlacementRefused(ConfigurationError):
    """`banfa up` would start a part with settings that cannot work where the other parts run."""

    def __init__(self, parts: str, reason: str) -> None:
        self.parts = parts
        super().__init__(f"不能启动{parts}：{reason}")


class BackupDamaged(Invalid):
    """A file given to `banfa restore` is not a Banfa backup, or a member does not match its checksum."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        super().__init__(f"备份文件 {path} 无法使用：{reason}")


class RestoreRefused(Conflict):
    """`banfa restore` was pointed at a data directory or a database that already holds Banfa's data."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        super().__init__(f"不能恢复到 {where}：{reason}")
