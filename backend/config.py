"""Settings: the one place where Keskinube reads its environment.

Every knob is a field on `Settings`, read from environment variables (and an optional
`.env` file in the working directory). Adapters never read the environment themselves:
the composition root (`wiring.services`) passes them the values they need.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from backend.errors import SettingsError
from backend.sources.secrets import is_valid_key, key_file

# Keys that appear in docs and examples: never acceptable as a production secret.
SAMPLE_COOKIE_KEYS = frozenset({"", "change-me", "changeme", "secret", "dev-only-cookie-key"})
MIN_COOKIE_KEY_LENGTH = 32
# The `limits` storages whose client the requirements install (redis-py).
RATE_LIMIT_STORAGES = frozenset(
    {"memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster"}
)


class LocaleSettings(BaseSettings):
    """The terminal's locale, read apart from `Settings` so that the CLI can still speak
    the reader's language when one of the other settings is invalid (to say which)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    lc_all: str = Field(
        "",
        description="Locale of the terminal (POSIX); the first of LC_ALL, LC_MESSAGES, "
        "LANG that is set and not empty gives the CLI's language when KESKINUBE_LANGUAGE is "
        "unset.",
    )
    lc_messages: str = Field("", description="Locale of the terminal's messages (POSIX).")
    lang: str = Field("", description="Default locale of the terminal (POSIX).")

    @property
    def messages_locale(self) -> str:
        """The locale POSIX uses for messages ('es_ES.UTF-8'); empty when none is set."""
        return self.lc_all or self.lc_messages or self.lang


class Settings(LocaleSettings):
    """Keskinube's configuration. Field descriptions double as the README's table."""

    keskinube_env: Literal["dev", "prod"] = Field(
        "dev", description="`dev` or `prod`; prod refuses sample secrets."
    )
    data_dir: Path = Field(
        Path("data"),
        validation_alias="KESKINUBE_DATA_DIR",
        description="Folder for the embedded defaults (demo database, app database, Qdrant).",
    )
    database_url: str | None = Field(
        None,
        description="Business database (SQLAlchemy URL) that questions are asked of. "
        "Default: the SQLite demo file `<data_dir>/demo.sqlite`.",
    )
    app_database_url: str | None = Field(
        None,
        description="App database for users, chat history and dashboards. "
        "Default: SQLite `<data_dir>/app.sqlite`.",
    )
    qdrant_url: str | None = Field(
        None, description="Qdrant server URL; when unset, embedded local mode at QDRANT_PATH."
    )
    qdrant_path: str | None = Field(
        None,
        description="Embedded Qdrant folder (or `:memory:`). Default `<data_dir>/qdrant`.",
    )
    ollama_base_url: str = Field("http://localhost:11434", description="Ollama server.")
    ollama_model: str = Field("qwen2.5-coder:7b", description="Chat model that writes SQL.")
    ollama_embed_model: str = Field("nomic-embed-text", description="Embedding model.")
    ollama_num_ctx: int = Field(8192, ge=512, description="Context window asked of Ollama.")
    ollama_timeout_s: float = Field(120.0, gt=0, description="Timeout of one Ollama call.")
    ollama_keep_alive: str = Field("30m", description="How long Ollama keeps the model loaded.")
    ollama_warm_up: bool = Field(
        True,
        description="Have Ollama evaluate the start every prompt of a role shares (the "
        "whole schema, notes and examples), in the background: every role's once the app "
        "has started (from the first page opened), and the user's own at login, so the "
        "first question is as fast as the next.",
    )
    ollama_parallel: int = Field(
        1,
        ge=1,
        description="How many requests the Ollama server works on at once (its "
        "OLLAMA_NUM_PARALLEL). The app sends no more than that and queues the rest, so a "
        "question behind a warm-up or another user's question waits its turn (and says "
        "so) instead of running out of OLLAMA_TIMEOUT_S.",
    )
    row_limit: int = Field(1000, ge=1, description="Most rows a query returns to the page.")
    export_row_limit: int = Field(100_000, ge=1, description="Most rows a CSV export holds.")
    export_max_bytes: int = Field(
        50_000_000,
        ge=10_000,
        description="Most bytes a CSV export holds (the file, and the cells read for it): "
        "Streamlit keeps a download in memory, so a bigger export is cut (after whole rows) "
        "and its last line says so.",
    )
    query_timeout_s: float = Field(30.0, gt=0, description="Time limit of one SQL query.")
    result_cell_max_bytes: int = Field(
        10_000,
        ge=100,
        description="Longest text or binary cell a result holds; longer ones are cut and end "
        "with `…[truncated]` (page and CSV export).",
    )
    result_max_bytes: int = Field(
        20_000_000,
        ge=10_000,
        description="Most bytes of cells a page result holds; fetching stops there and the "
        "answer says the result was cut.",
    )
    sql_max_length: int = Field(
        20_000, ge=1_000, description="Longest SQL (characters) the guard will check."
    )
    sql_max_depth: int = Field(
        25,
        ge=5,
        description="Deepest nesting of brackets and CASE the guard will check (about 35 "
        "exhausts the parser's stack: deeper SQL is refused either way).",
    )
    max_retries: int = Field(2, ge=0, le=5, description="Self-corrections after a failure.")
    answer_candidates: int = Field(
        3,
        ge=0,
        le=8,
        description="More queries sampled when an answer is in doubt (none, empty, all NULL, "
        "more rows than any table read, a filter on a value nobody asked for); the result "
        "most agree on wins. 0 turns it off.",
    )
    table_selection: bool = Field(
        False,
        description="In retrieve mode, the model first picks the question's tables from a "
        "one-line-a-table catalogue; the SQL prompt then holds those tables.",
    )
    question_names: bool = Field(
        True,
        description="In retrieve mode, the model first lists the names a database would give "
        "the things the question is about; the table search reads them with the question.",
    )
    table_selection_pool: int = Field(
        30, ge=5, le=200, description="Tables listed when the whole catalogue does not fit."
    )
    table_catalogue_max_tokens: int = Field(
        4000,
        ge=0,
        description="The whole catalogue is listed (and cached) up to this many estimated "
        "tokens; above it, the retrieval's top TABLE_SELECTION_POOL tables.",
    )
    candidate_temperature: float = Field(
        0.7, ge=0.0, le=2.0, description="Sampling temperature of those extra queries."
    )
    retrieval_k: int = Field(5, ge=1, le=50, description="Tables retrieved per question.")
    schema_mode: Literal["auto", "retrieve", "full"] = Field(
        "auto",
        description="`full` sends the whole visible schema, `retrieve` the top tables; `auto` "
        "sends the whole schema when it fits FULL_SCHEMA_MAX_TOKENS.",
    )
    full_schema_max_tokens: int = Field(
        4000, ge=0, description="Largest schema (estimated tokens) sent whole in `auto` mode."
    )
    retrieved_schema_max_tokens: int = Field(
        1500,
        ge=100,
        description="Most schema (estimated tokens) a prompt carries when tables are "
        "retrieved: the lowest-ranked tables are shortened, then left out, to fit.",
    )
    core_schema_max_tokens: int = Field(
        4000,
        ge=0,
        description="When tables are retrieved: the tables the approved examples read, up to "
        "this many estimated tokens, are the core; a question whose best match is a core "
        "table gets the core whole (cached) instead of retrieved tables. 0: off.",
    )
    chart_suggestions: bool = Field(
        False,
        description="Ask the model to propose a chart (JSON, validated) after its SQL; off by "
        "default because it costs output tokens, and the automatic choice is good.",
    )
    stable_context_max_tokens: int = Field(
        4000,
        ge=0,
        description="With the whole schema in the prompt, every business note and example "
        "goes after it (and is served from the model's prompt cache) when they fit this many "
        "estimated tokens; 0 retrieves a few per question instead.",
    )
    knowledge_use_drafts: bool = Field(
        True,
        description="Use the model's drafted table and column descriptions and synonyms "
        "(not yet approved by an admin) in prompts and retrieval; approved and edited ones "
        "are always used.",
    )
    knowledge_draft_max_tables: int = Field(
        50,
        ge=1,
        description="Most tables one knowledge draft run describes (two model calls each): "
        "the call budget of a run; the next run goes on where it stopped.",
    )
    knowledge_draft_on_start: bool = Field(
        False,
        description="When the app starts, draft knowledge for new or changed tables in the "
        "background (the model's time is shared with users' questions); otherwise an admin "
        "starts a run from the Knowledge page or `keskinube knowledge draft`.",
    )
    cache_similarity: float = Field(
        0.92, gt=0, le=1, description="Cosine similarity for reusing a cached answer's SQL."
    )
    schema_drift_check_minutes: int = Field(
        15,
        ge=0,
        description="Every this many minutes the app compares the business database's "
        "tables, columns and keys with what is indexed and records what changed (Monitoring "
        "page); 0 turns the check off.",
    )
    question_drift_similarity: float = Field(
        0.5,
        ge=0,
        le=1,
        description="A question whose embedding's cosine similarity to every indexed table "
        "and reviewed example is below this counts as far from the knowledge (Monitoring "
        "page). Depends on the embedding model.",
    )
    glossary_path: str = Field(
        "auto",
        description="Spanish → English business glossary (YAML) that widens keyword search "
        "of questions: `auto` = the bundled one (sales vocabulary of the demo), `off`, or a "
        "file.",
    )
    auth_cookie_key: SecretStr | None = Field(
        None,
        description="Key of the login sessions: the app database keeps only a hash keyed "
        "with it of each session id (>= 32 random bytes; required in prod; changing it ends "
        "every session).",
    )
    sources_key: SecretStr | None = Field(
        None,
        description="Key that encrypts the passwords of the data sources added in the app "
        '(a Fernet key: `python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"`). Required in prod; in dev, when unset, '
        "one is made in `<data_dir>/sources.key`. Changing it makes stored passwords "
        "unreadable (enter them again).",
    )
    auth_session_idle_minutes: int = Field(
        120,
        ge=1,
        description="A login session ends after this many minutes without a page run; "
        "each run renews it.",
    )
    auth_session_max_hours: float = Field(
        12.0,
        gt=0,
        description="A login session ends this many hours after the login, active or not.",
    )
    auth_cookie_secure: Literal["auto", "on", "off"] = Field(
        "auto",
        description="`Secure` flag of the login cookie: `auto` sets it when the browser "
        "reached the app by https (through a TLS proxy too); `on` always; `off` never.",
    )
    trusted_proxies: str = Field(
        "",
        description="Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For "
        "names the client for login throttling; empty: the connection's address is the client.",
    )
    login_sleep_s: float = Field(
        0.7,
        ge=0,
        validation_alias="KESKINUBE_LOGIN_SLEEP_S",
        description="Pause on each logged-out page run (slows password guessing).",
    )
    currency_symbol: str = Field("€", description="Currency shown for money columns.")
    language: Literal["en", "es"] | None = Field(
        None,
        validation_alias="KESKINUBE_LANGUAGE",
        description="Default language of the app (`en` or `es`) for users who have not "
        "chosen one; unset: the browser's preferred language, else English.",
    )
    admin_username: str | None = Field(
        None, description="First admin, created once when no admin exists."
    )
    admin_password: SecretStr | None = Field(None, description="Password of that first admin.")
    cli_user: str | None = Field(
        None,
        description="User that `keskinube ask` answers as (their role, access rules and row "
        "filters; audited), unless `--user` names one; unset: ADMIN_USERNAME.",
    )
    api_rate_limit: str = Field(
        "60/minute",
        description="Requests one API token may make (moving window), in the `limits` "
        "notation: `60/minute`, `1000/hour`, `10/second;500/hour`. Beyond it the HTTP API "
        "answers 429 with Retry-After.",
    )
    api_rate_limit_storage: str = Field(
        "memory://",
        description="Where the API's rate-limit counters live: `memory://` (one API "
        "process) or `redis://host:6379` so that several API processes share one limit.",
    )
    mlflow_tracking_uri: str | None = Field(
        None,
        description="MLflow tracking store that `keskinube eval` logs each run to (MLflow's "
        "own variable: a server URL or a store URI); unset: a local SQLite store in "
        "`<data_dir>/mlruns`.",
    )

    @field_validator("database_url", "app_database_url")
    @classmethod
    def _sqlalchemy_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in value.split(","):
            if item.strip():
                try:
                    ipaddress.ip_network(item.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"{item.strip()!r} is not an IP address or network") from None
        return value

    @field_validator("api_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        import limits  # only this setting needs it

        try:
            limits.parse_many(value)
        except ValueError:
            raise ValueError("not a rate limit such as 60/minute or 10/second;500/hour") from None
        return value

    @field_validator("api_rate_limit_storage")
    @classmethod
    def _rate_limit_storage(cls, value: str) -> str:
        if urlsplit(value).scheme not in RATE_LIMIT_STORAGES:
            raise ValueError("must be memory:// or a storage URL such as redis://host:6379")
        return value

    @field_validator("ollama_base_url", "qdrant_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an http(s) URL such as http://localhost:11434")
        try:
            parts.port  # noqa: B018 - raises on a non-numeric port
        except ValueError:
            raise ValueError("has an invalid port") from None
        return value.rstrip("/")

    @model_validator(mode="after")
    def _prod_needs_real_secret(self) -> Settings:
        if self.keskinube_env == "prod":
            key = self.auth_cookie_key.get_secret_value() if self.auth_cookie_key else ""
            if key.lower() in SAMPLE_COOKIE_KEYS or len(key) < MIN_COOKIE_KEY_LENGTH:
                raise ValueError(
                    "AUTH_COOKIE_KEY must be set to at least 32 random characters when "
                    'KESKINUBE_ENV=prod (e.g. `python -c "import secrets; '
                    'print(secrets.token_urlsafe(48))"`)'
                )
        sources_key = self.sources_key.get_secret_value() if self.sources_key else ""
        if sources_key and not is_valid_key(sources_key):
            raise ValueError("SOURCES_KEY must be a Fernet key (32 bytes, URL-safe base64)")
        if self.keskinube_env == "prod" and not sources_key:
            raise ValueError(
                "SOURCES_KEY must be set when KESKINUBE_ENV=prod: it encrypts the data "
                "sources' passwords (e.g. `python -c \"from cryptography.fernet import "
                'Fernet; print(Fernet.generate_key().decode())"`)'
            )
        return self

    @property
    def business_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'demo.sqlite'}"

    @property
    def cli_user_name(self) -> str | None:
        """Who `keskinube ask` answers as: CLI_USER, else the first admin's name."""
        return self.cli_user or self.admin_username

    @property
    def sources_secret(self) -> str:
        """The key of the stored passwords: SOURCES_KEY, else (dev) the data folder's."""
        if self.sources_key is not None:
            return self.sources_key.get_secret_value()
        return key_file(self.data_dir)

    @property
    def app_db_url(self) -> str:
        return self.app_database_url or f"sqlite:///{self.data_dir / 'app.sqlite'}"

    @property
    def qdrant_location(self) -> str:
        """Where embedded Qdrant keeps its data (ignored when `qdrant_url` is set)."""
        return self.qdrant_path or str(self.data_dir / "qdrant")

    @property
    def uses_demo_database(self) -> bool:
        return self.database_url is None


def load_settings(**overrides: Any) -> Settings:  # Any: pydantic validates each value
    """Build settings from the environment, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use."""
    return load_settings()


_ALIASES = {"DATA_DIR": "KESKINUBE_DATA_DIR", "LOGIN_SLEEP_S": "KESKINUBE_LOGIN_SLEEP_S"}


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part != "__root__"]
        variable = location[0].upper() if location else ""
        variable = _ALIASES.get(variable, variable)
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        received = error.get("input")
        shown = "" if not variable or isinstance(received, dict) else f" (got {received!r})"
        label = f"{variable}: " if variable else ""
        problems.append(f"{label}{message}{shown}")
    return "Invalid configuration — " + "; ".join(problems)
