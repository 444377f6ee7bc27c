"""Read an opinions file (`banfa opinion --file opinions.toml`): the opinions and the attachments beside it.

    [[opinion]]
    clause = "第五条"        # or 5, which means 第五条
    text = "建议明确资助标准"
    attachments = ["盖章意见.pdf"]   # files in the same folder as opinions.toml

An attachment must be a plain file name in the opinions file's own folder: no path, no `..`, no link. Its size
is checked before it is read.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from engine.domain.textform import cn_numeral
from engine.domain.workflow.consultation import OpinionInput
from engine.errors import InvalidInput, UploadRejected
from engine.services.documents import MAX_ATTACHMENT_BYTES

Files = tuple[tuple[int, bytes, str], ...]


def read_opinions(path: Path) -> tuple[tuple[OpinionInput, ...], Files]:
    """Return the opinions and their attachments as (opinion index, bytes, file name); refuse what is wrong."""
    try:
        items = tomllib.loads(path.read_text("utf-8")).get("opinion")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(f"意见文件应为 UTF-8 的 TOML：{path}（{exc}）") from exc
    if not isinstance(items, list) or not items or not all(isinstance(o, dict) for o in items):
        raise InvalidInput(f"意见文件没有意见内容（应为 [[opinion]]，含 clause 和 text）：{path}")
    try:
        opinions = tuple(_opinion(o, n) for n, o in enumerate(items, 1))
        files: list[tuple[int, bytes, str]] = []
        for index, item in enumerate(items):
            for name in _names(item.get("attachments", []), index + 1):
                files.append((index, _attachment(path.parent, name, index + 1), name))
    except InvalidInput as problem:
        raise InvalidInput(f"意见文件 {path}：{problem.problem}") from None
    return opinions, tuple(files)


def _opinion(item: dict[str, Any], n: int) -> OpinionInput:
    clause, text = item.get("clause", ""), item.get("text")
    if isinstance(clause, bool) or not isinstance(clause, str | int):
        raise InvalidInput(f"第 {n} 条意见的 clause 应为条款（如 “第五条” 或 5）")
    if isinstance(clause, int):
        if clause < 1:
            raise InvalidInput(f"第 {n} 条意见的 clause 应为正整数：{clause}")
        clause = f"第{cn_numeral(clause)}条"
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"第 {n} 条意见的 text 应为非空的文字")
    return OpinionInput(clause.strip(), text.strip())


def _names(value: Any, n: int) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"第 {n} 条意见的 attachments 应为文件名列表")
    return value


def _attachment(folder: Path, name: str, n: int) -> bytes:
    """Read one attachment, only when it is a regular file directly in `folder`, under the size cap."""
    path = folder / name
    plain = name and Path(name).name == name and name not in (".", "..") and "\\" not in name
    if not plain or path.is_symlink() or not path.is_file() or path.resolve().parent != folder.resolve():
        raise InvalidInput(f"第 {n} 条意见的附件须为意见文件同一目录下的文件（不含路径、不是链接）：{name}")
    if path.stat().st_size > MAX_ATTACHMENT_BYTES:
        raise UploadRejected(name, f"附件过大（上限 {MAX_ATTACHMENT_BYTES // 1024 // 1024} MB）")
    return path.read_bytes()
