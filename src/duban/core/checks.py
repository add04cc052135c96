"""`duban check --deploy`: the data dir and what is in it must not be readable by other accounts."""

from __future__ import annotations

import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Tags, Warning, register


def _open_to_others(path: Path) -> bool:
    try:
        return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)
    except FileNotFoundError:
        return False


@register(Tags.security, deploy=True)
def private_data_dir(app_configs, **kwargs) -> list[Warning]:
    data = Path(settings.DATA_DIR)
    candidates = [data, data / "secret_key", data / "evidence", data / "files", data / "models"]
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        candidates.append(Path(db["NAME"]))
    found = [p for p in candidates if _open_to_others(p)]
    if not found:
        return []
    return [
        Warning(
            "数据目录中有其他用户可以读取的文件或文件夹：" + "、".join(str(p) for p in found),
            hint=f"数据库、密钥和佐证材料只应由运行 duban 的账号读取：chmod -R go-rwx {data}",
            id="duban.W001",
        )
    ]
