"""The one table from Banfa's error groups to HTTP statuses, and the Chinese titles people read with them."""

from __future__ import annotations

from engine.errors import (
    ConcurrencyConflict,
    Conflict,
    EngineError,
    Forbidden,
    Invalid,
    MachineWorkPending,
    NotFound,
    Unavailable,
)

STATUS: list[tuple[type[EngineError], int, str]] = [
    (NotFound, 404, "未找到"),
    (Forbidden, 403, "无权操作"),
    (Conflict, 409, "当前状态不允许此操作"),
    (Invalid, 422, "输入有误"),
    (Unavailable, 503, "服务暂不可用"),
]
PENDING = "系统正在生成本阶段文稿，请稍候"
STALE = "任务已被他人更新，请刷新后重试"


def status_of(exc: EngineError) -> tuple[int, str]:
    """The HTTP status and the page title of an error; a configuration error is the server's fault (500)."""
    return next(((code, title) for cls, code, title in STATUS if isinstance(exc, cls)), (500, "系统配置有误"))


def message_of(exc: EngineError) -> str:
    """What the person reads: the error's own Chinese message, with the portal's words for the two conflicts
    a person can resolve by waiting or refreshing."""
    if isinstance(exc, MachineWorkPending):
        return f"{PENDING}（{exc}）"
    if isinstance(exc, ConcurrencyConflict):
        return f"{STALE}（{exc}）"
    return str(exc)


def group_of(exc: EngineError) -> str:
    """The error group's name, for the JSON API."""
    return next((cls.__name__ for cls, _, _ in STATUS if isinstance(exc, cls)), "ConfigurationError")
