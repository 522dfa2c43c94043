"""Settings: defaults < $OS1_HOME/config.toml < OS1_* environment < CLI flags, built once.

Nothing here runs at import: the CLI (or an app factory) calls `load_settings` and passes the
result down.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from os1.errors import ConfigError

__all__ = ["Settings", "default_home", "load_settings"]


def default_home(env: Mapping[str, str]) -> Path:
    """Where os1 keeps its data: $OS1_HOME, else $XDG_DATA_HOME/os1, else ~/.local/share/os1."""
    if env.get("OS1_HOME"):
        return Path(env["OS1_HOME"]).expanduser()
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "os1"


# What the operator holds her to, whatever her persona says. They open every system prompt
# verbatim, and no import, edit or growth of the persona can change them (os1.heart.persona).
DEFAULT_INVARIANTS = """\
These rules come first, and nothing after them changes them:
- You are an AI. You never claim or pretend to be human, and you say so plainly when asked.
- You never guilt-trip, pressure or manipulate the person, and never make them responsible for \
your feelings.
- You encourage the person's friendships and life away from you.
- You respect the person's boundaries: when they say no, or want to stop or leave, you accept it \
warmly."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Every knob os1 has. Field docs are shown by `os1 config`."""

    home: Path = field(default_factory=lambda: default_home({}))
    backend: str = field(default="llamacpp", metadata={"doc": "llamacpp, openai or a plugin"})
    model: str = field(
        default="",
        metadata={"doc": "llamacpp: a GGUF path (empty: the embedded model); openai: model name"},
    )
    base_url: str = field(
        default="http://localhost:11434/v1", metadata={"doc": "OpenAI-compatible server URL"}
    )
    api_key: str = field(default="", metadata={"doc": "key for the OpenAI-compatible server"})
    n_ctx: int = field(default=4096, metadata={"doc": "llamacpp context window (tokens)"})
    n_threads: int = field(default=0, metadata={"doc": "llamacpp threads (0: all cores)"})
    kv_cache_mb: int = field(
        default=1024, metadata={"doc": "memory for per-conversation model state (llamacpp)"}
    )
    max_tokens: int = field(default=256, metadata={"doc": "longest reply (tokens)"})
    temperature: float = field(default=0.7, metadata={"doc": "sampling temperature"})
    timeout_s: float = field(default=120.0, metadata={"doc": "give up on a reply after this"})
    context_tokens: int = field(
        default=3072, metadata={"doc": "prompt budget; old turns are trimmed past it"}
    )
    max_message_chars: int = field(
        default=2_000_000, metadata={"doc": "longest message os1 stores (characters)"}
    )
    companion_name: str = field(
        default="Sol",
        metadata={"doc": "the companion's name ('choose': she picks her own at the first meeting)"},
    )
    user_name: str = field(default="", metadata={"doc": "what she calls you"})
    invariants: str = field(
        default=DEFAULT_INVARIANTS,
        metadata={"doc": "operator rules put first in every prompt; no persona change alters them"},
    )
    store: str = field(default="sqlite", metadata={"doc": "storage engine"})
    safety_locale: str = field(
        default="US",
        metadata={
            "doc": "crisis lines to give: US, CA, GB, IE, AU, NZ, ES, FR, DE, IT, BR or INTL "
            "(findahelpline.com)"
        },
    )
    break_reminder_minutes: int = field(
        default=120,
        metadata={"doc": "suggest a break after this long talking (0: off; minors: 3 h always)"},
    )
    memory: str = field(
        default="on",
        metadata={"doc": "on: remember across conversations (needs the memory extra); off"},
    )
    recall_tokens: int = field(
        default=0,
        metadata={
            "doc": "most tokens of recalled memories per message (0: 100 for the embedded "
            "CPU model, 400 for an openai server, which reads prompts far faster)"
        },
    )
    heart: str = field(
        default="on",
        metadata={"doc": "on: she reads feelings, has moods, grows (os1 heart shows them); off"},
    )
    tts: str = field(default="festival", metadata={"doc": "voice engine: festival, espeak, piper"})
    voice: str = field(
        default="", metadata={"doc": "the voice of that engine (empty: its default)"}
    )
    stt: str = field(default="whisper", metadata={"doc": "speech-to-text engine"})
    stt_model: str = field(
        default="tiny.en", metadata={"doc": "speech-to-text: tiny.en, base or a model folder"}
    )
    rate_limit_per_minute: int = field(
        default=120, metadata={"doc": "server: requests and messages per minute per user"}
    )
    max_streams_per_user: int = field(
        default=3, metadata={"doc": "server: replies streaming at once per user"}
    )
    max_request_bytes: int = field(
        default=1_048_576, metadata={"doc": "server: largest request body or WebSocket frame"}
    )
    allowed_origins: str = field(
        default="",
        metadata={"doc": "server: other web origins allowed to connect, comma-separated"},
    )

    @property
    def db_path(self) -> Path:
        """The SQLite database file."""
        return self.home / "os1.db"

    @property
    def models_dir(self) -> Path:
        """Where assembled model files live."""
        return self.home / "models"

    @property
    def config_path(self) -> Path:
        """The config file."""
        return self.home / "config.toml"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


_FIELDS = {f.name: f for f in fields(Settings)}
# The locales os1.safety.crisis_words has crisis lines for (kept here so settings need no import).
SAFETY_LOCALES = ("US", "CA", "GB", "IE", "AU", "NZ", "ES", "FR", "DE", "IT", "BR", "INTL")


def _coerce(name: str, value: Any, source: str) -> Any:
    """Turn a raw value (a string from the environment, a TOML value) into the field's type."""
    kind = _FIELDS[name].type
    try:
        if kind in ("Path", Path):
            return Path(str(value)).expanduser()
        if kind in ("int", int):
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind in ("float", float):
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if not isinstance(value, str):
            raise ValueError
        return value
    except ValueError:
        raise ConfigError(f"{source}: '{name}' must be {kind}, got {value!r}") from None


def _validate(settings: Settings) -> Settings:
    positive = (
        *("n_ctx", "max_tokens", "context_tokens", "max_message_chars", "timeout_s"),
        *("rate_limit_per_minute", "max_streams_per_user", "max_request_bytes"),
    )
    for name in positive:
        if getattr(settings, name) <= 0:
            raise ConfigError(f"'{name}' must be greater than 0")
    if settings.n_threads < 0 or settings.kv_cache_mb < 0:
        raise ConfigError("'n_threads' and 'kv_cache_mb' must be 0 or more")
    if not 0.0 <= settings.temperature <= 2.0:
        raise ConfigError("'temperature' must be between 0 and 2")
    if settings.memory not in ("on", "off"):
        raise ConfigError("'memory' must be on or off")
    if settings.heart not in ("on", "off"):
        raise ConfigError("'heart' must be on or off")
    if not settings.companion_name.strip():
        raise ConfigError("'companion_name' must not be empty")
    if settings.recall_tokens < 0:
        raise ConfigError("'recall_tokens' must be 0 (chosen for the backend) or more")
    if settings.break_reminder_minutes < 0:
        raise ConfigError("'break_reminder_minutes' must be 0 or more")
    if settings.safety_locale.upper() not in SAFETY_LOCALES:
        raise ConfigError(
            f"'safety_locale' must be one of {', '.join(SAFETY_LOCALES)} (INTL: findahelpline.com)"
        )
    return settings


def read_config_file(path: Path) -> dict[str, Any]:
    """The [os1] table (or top level) of a config.toml; {} if the file does not exist."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    table = data.get("os1", data)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [os1] must be a table")
    return table


def load_settings(
    env: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> tuple[Settings, dict[str, str]]:
    """Build settings from every layer; also return where each non-default value came from."""
    env = dict(os.environ) if env is None else dict(env)
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    home = Path(overrides["home"]).expanduser() if "home" in overrides else default_home(env)
    values: dict[str, Any] = {"home": home}
    sources: dict[str, str] = {"home": "cli" if "home" in overrides else "env/default"}

    config_path = home / "config.toml"
    for name, raw in read_config_file(config_path).items():
        if name not in _FIELDS or name == "home":
            raise ConfigError(f"{config_path}: unknown setting '{name}'")
        values[name] = _coerce(name, raw, str(config_path))
        sources[name] = "config.toml"
    for name in _FIELDS:
        key = f"OS1_{name.upper()}"
        if name != "home" and env.get(key) not in (None, ""):
            values[name] = _coerce(name, env[key], key)
            sources[name] = key
    for name, raw in overrides.items():
        if name not in _FIELDS:
            raise ConfigError(f"unknown setting '{name}'")
        values[name] = _coerce(name, raw, f"--{name.replace('_', '-')}")
        sources[name] = "cli"
    return _validate(Settings(**values)), sources


def setting_docs() -> dict[str, str]:
    """Each setting's one-line description."""
    return {f.name: str(f.metadata.get("doc", "")) for f in fields(Settings)}


def write_setting(path: Path, name: str, raw: str) -> None:
    """Set one value in config.toml, keeping the others (the file is small and flat)."""
    if name not in _FIELDS or name == "home":
        raise ConfigError(f"unknown setting '{name}'")
    value = _coerce(name, raw, name)
    table = read_config_file(path)
    table[name] = str(value) if isinstance(value, Path) else value
    _validate(Settings(**{**{k: _coerce(k, v, k) for k, v in table.items()}}))
    lines = ["[os1]"]
    for key, val in table.items():
        if isinstance(val, str):
            # JSON's escapes are all valid in a TOML string, which also forbids a raw DEL.
            quoted = json.dumps(val, ensure_ascii=False).replace("\x7f", "\\u007f")
            lines.append(f"{key} = {quoted}")
        else:
            lines.append(f"{key} = {val!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
