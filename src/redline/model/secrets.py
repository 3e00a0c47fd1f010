"""Secrets are never printed in full: the one masking step every output goes through.

redline reads files that hold credentials and prints what it read (evidence, reasons, whole models in
JSON). Every output masks secret material on its way out, with the functions of this module:

* :func:`mask_text` masks secret *shapes* in any rendered text: ``user:pw@`` / ``:pw@`` / ``token@`` in
  URLs, ``password=`` style parameters (query strings, connection strings, ``-Dx.password=``,
  ``--db-password=``), ``--*password*`` / ``--requirepass`` / ``--*token*`` / ``--*secret*`` arguments
  followed by their value, ``curl -u user:pw``, ``redis-cli -a pw``, ``mysql -ppw``, PEM private key
  blocks, and well-known token formats (AWS ``AKIA...``, GitHub ``ghp_...`` / ``github_pat_...``, Slack
  ``xox?-...``, Stripe, GitLab, Google API keys, JWTs). Random-looking strings are *not* masked blindly:
  too many ids and digests look random.
* :func:`mask_tree` / :func:`masked` mask structured data before it is rendered, where names are known:
  a value under a key named like a credential (``DB_PASSWORD``, ``api-token``, a label
  ``backup.password``), an env var ``{name, value}`` whose name is a credential's, argument lists
  (``["--requirepass", "x"]``), and *every* data value of a ConfigMap or Secret. Every string is also
  passed through :func:`mask_text`.

A reference is not a secret and is left alone: ``${VAR}``, ``$(VAR)``, ``{{ template }}``, a file path
(``/run/secrets/db``), a secret-manager reference (``vault:...``). Masks keep enough to recognise the
value: the first two characters of a plain secret (:func:`mask`), the fixed prefix of a token format
(``ghp_****``, ``AKIA****``), the user of a URL (``postgres://app:****@db:5432/x``).

Every pattern runs in linear time on any input: no nested quantifiers, bounded repetition, possessive
runs, and look-behinds that stop a match from starting inside a run of the same characters.

Masking is cheap where there is nothing to mask, so that it can run on everything written: each pass has a
sound prefilter (a text without its trigger cannot change under it, so skipping it changes nothing), most
strings fail all of them at once, and a big text is masked in parts cut at line ends no secret shape can
span, so the prefilters skip passes part by part. :class:`TextMasker` does the same for a text written as
it is made. The result is always that of every pass over the whole text (tests/test_masking_at_scale.py).

This module imports nothing of redline, so readers, engines, reports and the load generator share it.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, TextIO, TypeVar, cast

#: What replaces the hidden part of a secret.
STARS = "****"

# --------------------------------------------------------------------------------------------------------
# What is a secret name, what is a reference

#: Name fragments that say "this holds a credential". Matched on word boundaries of the normalised name.
_SECRET_WORDS = re.compile(
    r"(?:^|[_.-])(?:PASSWORD|PASSWD|PASSPHRASE|PWD|PASS|REQUIREPASS|MASTERAUTH|SECRET|SECRETS|TOKEN|"
    r"APIKEY|API_KEY|PRIVATE_KEY|PRIVATEKEY|ACCESS_KEY|SECRET_KEY|SECRET_ACCESS_KEY|AUTH_KEY|"
    r"CLIENT_SECRET|CREDENTIALS?|ENCRYPTION_KEY|SIGNING_KEY|MASTER_KEY|SALT|WEBHOOK_SECRET|JWT_SECRET|"
    r"COOKIE_SECRET|SESSION_SECRET|ACCESS_TOKEN|AUTH_TOKEN)(?:$|[_.-])",
)

#: Suffixes that make a secret-sounding name describe *about* the secret rather than hold it:
#: ``PASSWORD_FILE`` points at a file, ``TOKEN_TTL`` is a duration, ``AWS_ACCESS_KEY_ID`` is an id.
_NOT_SECRET_SUFFIX = re.compile(
    r"[_.-](?:FILE|PATH|DIR|NAME|TTL|EXPIRE|EXPIRES|EXPIRY|EXPIRATION|EXPIRE_MINUTES|LENGTH|MIN_LENGTH|"
    r"ENABLED|ENABLE|DISABLED|TIMEOUT|HEADER|TYPE|ALGORITHM|ALG|MODE|ENDPOINT|HOST|PORT|REF|ID|URL|URI|"
    r"KEY_ID|ISSUER|AUDIENCE|SCOPE|SCOPES|REGION|PREFIX|FORMAT|VERSION|POLICY|ROTATION|LIFETIME|AGE|"
    r"MINUTES|SECONDS|HOURS|DAYS|COUNT|RETRIES|SIZE|LOCATION|PROVIDER|KIND|USER|USERNAME|KEYS|LINES)$",
)

_CAMEL = re.compile(r"([a-z0-9])([A-Z])")  # dbPassword -> db_Password

_PLACEHOLDER = re.compile(
    r"""^(?:
        \$?\$\{[^}]*\}             # ${VAR}, ${VAR:-x}, ${VAR:?msg} ($${VAR} escaped for compose)
      | \$\([A-Za-z_][A-Za-z0-9_]*\) # $(VAR): Kubernetes dependent env var
      | \$?\$[A-Za-z_][A-Za-z0-9_]* # $VAR, $$VAR (a shell variable in a Compose command)
      | \{\{.*\}\}                 # {{ template }}
      | <[^>]*>                    # <your-token-here>
      | %\{[^}]*\}                 # %{terraform}
    )$""",
    re.VERBOSE,
)

#: Prefixes of references into a secret manager: the value names the secret, it is not the secret.
_SECRET_MANAGER_REF = re.compile(
    r"^(?:vault:|arn:aws:(?:secretsmanager|ssm|kms):|projects/[^/]+/secrets/|sm://|ref\+|secret://|"
    r"azurekeyvault:|akv:|op://|file:|k8s:|env:)",
    re.IGNORECASE,
)
_INTERPOLATION = re.compile(r"\$\{[^}]{0,256}\}|\$\([A-Za-z_][A-Za-z0-9_]{0,128}\)|\{\{[^}]{0,256}\}\}")


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True when an env var, key, label or flag is named like a credential (``DB_PASSWORD``, ``--api-token``).

    Names that describe a secret instead of holding it (``PASSWORD_FILE``, ``TOKEN_TTL``,
    ``AWS_ACCESS_KEY_ID``) are not.
    """
    n = _CAMEL.sub(r"\1_\2", name.lstrip("-")).upper().replace("-", "_")
    if not _SECRET_WORDS.search(n):
        return False
    return not _NOT_SECRET_SUFFIX.search(n)


@lru_cache(maxsize=4096)
def is_reference(value: str | None) -> bool:
    """True when ``value`` is not itself secret material.

    Empty values, interpolation placeholders (``${VAR}``, ``$(VAR)``, ``{{ x }}``), file paths
    (``/run/secrets/db``) and secret-manager references (``vault:...``, ``arn:aws:secretsmanager:...``)
    point at a secret kept elsewhere.
    """
    if value is None:
        return True
    v = value.strip().strip("'\"")
    if not v:
        return True
    if _PLACEHOLDER.match(v) or _SECRET_MANAGER_REF.match(v):
        return True
    if v.startswith(("/", "./", "../", "~/")):
        return True
    # A value that is mostly an interpolation (``${A}${B}``, ``prefix-${VAR}``) is still a reference.
    stripped = _INTERPOLATION.sub("", v)
    return stripped != v and len(stripped) < 4


# --------------------------------------------------------------------------------------------------------
# Masks


def mask(value: str, keep: int = 2) -> str:
    """Show just enough of a secret to recognise it: its first ``keep`` characters, then ``****``.

    Values of ``2 * keep`` characters or fewer show nothing but the stars. Masking is idempotent.
    """
    if value.endswith(STARS) and len(value) <= keep + len(STARS):
        return value
    return (value[:keep] if len(value) > 2 * keep else "") + STARS


def _mask_value(value: str) -> str:
    """``value`` masked unless it is a reference (``${VAR}``, a path) or already masked.

    A value cut at ``$(`` (``$(VAR)`` expanded by the kubelet, ``$(cat /run/secrets/x)`` by a shell: the
    patterns stop at the parenthesis) is a reference too.
    """
    if is_reference(value) or value.endswith(STARS) or value.startswith("$("):
        return value
    return mask_token(value)


# Well-known token formats; the named group is the format's prefix, which stays visible.
_TOKEN = re.compile(
    r"(?=[Agxsre])(?<![A-Za-z0-9_\-])(?:"  # the look-ahead lets the engine skip to candidate characters
    r"(?P<aws>AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])"
    r"|(?P<gh>gh[pousr]_)[A-Za-z0-9]{30,255}+"
    r"|(?P<ghpat>github_pat_)[A-Za-z0-9_]{20,255}+"
    r"|(?P<slack>xox[abposr]-)[A-Za-z0-9\-]{8,255}+"
    r"|(?P<stripe>[sr]k_live_)[A-Za-z0-9]{16,255}+"
    r"|(?P<gitlab>glpat-)[A-Za-z0-9_\-]{20,255}+"
    r"|(?P<google>AIza)[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"
    r"|(?P<jwt>eyJ[A-Za-z0-9_\-])[A-Za-z0-9_\-]{3,4096}+\.eyJ[A-Za-z0-9_\-]{2,4096}+\.[A-Za-z0-9_\-]{0,4096}+"
    r")"
)


def mask_token(value: str) -> str:
    """Mask a secret, keeping a well-known token format's prefix (``ghp_****``) or two characters."""
    m = _TOKEN.fullmatch(value)
    if m is not None:
        return next(g for g in m.groups() if g is not None) + STARS
    return mask(value)


def _sub_token(m: re.Match[str]) -> str:
    return next(g for g in m.groups() if g is not None) + STARS


#: A PEM private key block: header kept, body and footer hidden. JSON-escaped newlines (``\n``) allowed.
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?P<label>(?:[A-Z0-9]{1,20} ){0,3})PRIVATE KEY-----(?!\*\*\*\*)"
    r"(?:[A-Za-z0-9+/=\s\\:,.]|-(?!----END ))*+"
    r"(?:-----END (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY-----)?"
)


def _sub_private_key(m: re.Match[str]) -> str:
    return f"-----BEGIN {m.group('label')}PRIVATE KEY-----{STARS}"


#: ``scheme://user:password@``, ``scheme://:password@`` and ``scheme://token@``; also with one slash
#: (``postgres:/app:pw@db``), as a URL reads after a path library collapsed its ``//``.
_URL_USERINFO = re.compile(
    r"(?=[A-Za-z])(?<![A-Za-z0-9+.\-])(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]{0,30}+):(?P<slashes>//?)"
    r"(?P<user>[^:/@\s?#\"'<>\[\]`|]{0,256}+)(?::(?P<pw>[^@\s/?#\"'<>`|]{1,1024}+))?@"
)
#: A user name that is only a name (``git@``, ``postgres@``), not a token used as one.
_PLAIN_USER = re.compile(r"[a-z_][a-z0-9._\-]{0,19}")


def _sub_userinfo(m: re.Match[str]) -> str:
    head, user, pw = f"{m.group('scheme')}:{m.group('slashes')}", m.group("user"), m.group("pw")
    if pw is not None:
        return m.group(0) if is_reference(pw) else f"{head}{user}:{STARS}@"
    if not user or _PLAIN_USER.fullmatch(user) or is_reference(user) or user.endswith(STARS):
        return m.group(0)
    return f"{head}{mask_token(user)}@"


#: ``name=value`` where the name says credential: ``?password=``, ``;Password=``, ``--db-password=``,
#: ``-Dspring.datasource.password=``, ``DB_PASSWORD=``. Judged by :func:`is_secret_name`.
_ASSIGNMENT = re.compile(
    r"(?=[-A-Za-z_])(?<![A-Za-z0-9_.\-])(?P<name>-{0,2}[A-Za-z_][A-Za-z0-9_.\-]{0,80}+)=(?P<value>[^\s&;,\"'<>\]\)`|]{1,2048}+)"
)
#: ``?key=`` / ``&sig=`` in a query string: API keys and signatures that the name rules do not cover.
_QUERY_KEY = re.compile(
    r"(?<=[?&])(?P<name>key|sig|signature|code)=(?P<value>[^\s&;#,\"'<>`|]{1,2048}+)", re.IGNORECASE
)


def _sub_assignment(m: re.Match[str]) -> str:
    name, value = m.group("name"), m.group("value")
    if m.re is _ASSIGNMENT and not is_secret_name(name):
        return m.group(0)
    return f"{name}={_mask_value(value)}"


#: Separators between a flag and its value in any rendering: spaces, ``=``, or list punctuation.
_SEP = r"[\s\"',=\[\\]{1,64}+"
_VALUE = r"[^\s\"',\]\)`|<>\\]{1,1024}+"

#: ``--requirepass X``, ``--api-token X``: a long flag named like a credential, then its value.
_FLAG = re.compile(
    rf"(?=-)(?<![A-Za-z0-9_.\-])(?P<flag>--?[A-Za-z][A-Za-z0-9_.\-]{{0,60}}+)(?P<sep>{_SEP})(?P<value>{_VALUE})"
)


def _sub_flag(m: re.Match[str]) -> str:
    flag, value = m.group("flag"), m.group("value")
    if "=" in m.group("sep") or value.startswith("-") or not is_secret_name(flag):
        return m.group(0)  # the ``--x=V`` form is _ASSIGNMENT's; ``--x --y`` has no value
    return f"{flag}{m.group('sep')}{_mask_value(value)}"


#: ``curl -u user:pw`` / ``--user user:pw`` (also combined short flags: ``-fsu``).
_CURL_USER = re.compile(
    rf"(?=-)(?<![A-Za-z0-9_\-])(?P<flag>-[a-z]{{0,5}}u|--user)(?P<sep>{_SEP})"
    r"(?P<user>[^:\s\"',\]]{0,256}+):(?P<pw>[^\s\"',\]\)`|<>@]{1,1024}+)"
)


def _sub_curl_user(m: re.Match[str]) -> str:
    if is_reference(m.group("pw")) or m.group("pw").endswith(STARS):
        return m.group(0)
    return f"{m.group('flag')}{m.group('sep')}{m.group('user')}:{STARS}"


#: ``redis-cli ... -a PASS`` and ``mysql ... -pPASS``: short password flags of well-known clients. The
#: client's name is looked for in the 200 characters before the flag, on the same line.
_SHORT_PASSWORD = re.compile(rf"(?=-)(?<![^\s\"',\[])(?P<head>-p|-a(?:{_SEP}))(?P<value>{_VALUE})")
_CLIENTS = {"-p": "mysql", "-a": "redis-cli"}


def _sub_short_password(m: re.Match[str]) -> str:
    text, start = m.string, m.start()
    line_start = max(text.rfind("\n", max(0, start - 200), start) + 1, start - 200, 0)
    if text.rfind(_CLIENTS[m.group("head")[:2]], line_start, start) < 0 or "=" in m.group("head"):
        return m.group(0)
    return m.group("head") + _mask_value(m.group("value"))


_PASSES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_PRIVATE_KEY, _sub_private_key),
    (_URL_USERINFO, _sub_userinfo),
    (_CURL_USER, _sub_curl_user),
    (_SHORT_PASSWORD, _sub_short_password),
    (_FLAG, _sub_flag),
    (_ASSIGNMENT, _sub_assignment),
    (_QUERY_KEY, _sub_assignment),
    (_TOKEN, _sub_token),
)

# Prefilters. Each is *sound*: when it fails on a text, the pass it guards changes nothing in that text
# (every match needs what it looks for, or is handed back unchanged by its substitution), so skipping the
# pass gives the same result as running it. Together they let most strings skip every pass and a big
# text run only the passes whose trigger it holds.

#: Fragments of every credential name :func:`is_secret_name` accepts (each of its words holds one).
#: Names in :data:`_FLAG` and :data:`_ASSIGNMENT` are ASCII, so they are found in the lower-cased text.
_SECRET_FRAGMENTS = ("pass", "pwd", "masterauth", "secret", "token", "key", "salt", "credential")
#: A credential-named ``name=`` in lower-cased text: a fragment, the rest of the name (at most 82
#: characters: a name is at most 83), then ``=``.
_ASSIGNMENT_HINT = re.compile(r"(?:" + "|".join(_SECRET_FRAGMENTS) + r")[a-z0-9_.\-]{0,82}=")
# Each starts with a literal, so that the engine can skip to it: the look-behind after the dash says what
# the patterns' look-behinds before it say.
_DASH_HINT = re.compile(r"-(?<![A-Za-z0-9_\-]-)")
_FLAG_HINT = re.compile(r"-(?<![A-Za-z0-9_.\-]-)-?[A-Za-z]")
_CURL_HINT = re.compile(r"-(?<![A-Za-z0-9_\-]-)(?:[a-z]{0,5}u|-user)")
_TOKEN_HINT = re.compile(r"A(?:KIA|SIA|Iza)|g(?:h[pousr]_|ithub_pat_|lpat-)|xox[abposr]-|_live_|eyJ")


def _hint_private_key(text: str) -> bool:
    return "-----BEGIN " in text


def _hint_userinfo(text: str) -> bool:
    return "@" in text and ":/" in text


def _hint_curl_user(text: str) -> bool:
    return ":" in text and _CURL_HINT.search(text) is not None


def _hint_short_password(text: str) -> bool:  # the client's name must stand on the flag's line
    return ("mysql" in text or "redis-cli" in text) and ("-p" in text or "-a" in text)


def _has_secret_fragment(text: str) -> bool:
    lower = text.lower()
    return any(fragment in lower for fragment in _SECRET_FRAGMENTS)


def _hint_flag(text: str) -> bool:
    return _FLAG_HINT.search(text) is not None and _has_secret_fragment(text)


def _hint_assignment(text: str) -> bool:
    return "=" in text and _ASSIGNMENT_HINT.search(text.lower()) is not None


def _hint_query_key(text: str) -> bool:
    return "=" in text and ("?" in text or "&" in text)


def _hint_token(text: str) -> bool:
    return _TOKEN_HINT.search(text) is not None


#: The prefilter of each pass of :data:`_PASSES`, in the same order.
_HINTS: tuple[Callable[[str], bool], ...] = (
    _hint_private_key,
    _hint_userinfo,
    _hint_curl_user,
    _hint_short_password,
    _hint_flag,
    _hint_assignment,
    _hint_query_key,
    _hint_token,
)


#: :func:`_maybe` as one search, faster on short strings (most values of a model): every alternative
#: starts with a literal, so the engine skips to candidate characters.
_MAYBE = re.compile(r"[@=]|-(?<![A-Za-z0-9_\-]-)|-----BEGIN |" + _TOKEN_HINT.pattern)
#: Up to this length :data:`_MAYBE` is faster than :func:`_maybe`'s substring searches.
_SHORT = 512


def _maybe(text: str) -> bool:
    """Cheap test for "nothing here could be a secret shape", the union of the prefilters: ``@`` or ``=``,
    a dash that can start a flag, a key header, a token prefix. Most strings fail it and skip every pass."""
    if len(text) <= _SHORT:
        return _MAYBE.search(text) is not None
    return (
        "@" in text
        or "=" in text
        or ("-" in text and (_DASH_HINT.search(text) is not None or "-----BEGIN " in text))
        or _hint_token(text)
    )


#: Texts longer than this are masked in parts (:func:`_parts`): the prefilters then skip the passes part
#: by part, not for the whole text at once.
_PART = 1 << 15

#: A character a line break can follow where no secret shape continues (see :data:`_BOUNDARY`).
_CUT_BEFORE = r"[^\sA-Za-z0-9_.\-\"',=\[\\+/:*@]"
#: A line end no match of any pass can span, so a text cut just after it masks the same part by part as
#: whole. Only a flag's separator (:data:`_SEP`) and a key's body (:data:`_PRIVATE_KEY`) can hold a line
#: break; both are made of the characters :data:`_CUT_BEFORE` excludes, and so is everything that can
#: stand right before them (a flag, ``-a``, ``-----``); every other part of every pattern stops at white
#: space. So a line break after any other character (``}``, ``]``, ``)``, ``│``) ends every match before
#: it. Nothing else crosses the cut: no match starts with white space; the look-behinds read one character
#: and treat a line break as they treat the start of the text; ``redis-cli``/``mysql`` are looked for on
#: the flag's own line; and a substitution ends in ``****``, ``@`` or what it matched, which keeps the cut.
_BOUNDARY = re.compile(_CUT_BEFORE + r"\n")


def _parts(text: str) -> list[str]:
    """``text`` cut after line ends no secret shape spans (:data:`_BOUNDARY`), in parts of about
    :data:`_PART` characters; the parts joined are ``text``."""
    parts: list[str] = []
    start, n = 0, len(text)
    while start < n:
        m = _BOUNDARY.search(text, start + _PART)
        end = n if m is None else m.end()
        parts.append(text[start:end])
        start = end
    return parts


def _mask_part(text: str) -> str:
    if not _maybe(text):
        return text
    for (pattern, sub), hint in zip(_PASSES, _HINTS, strict=True):
        if hint(text):
            text = pattern.sub(sub, text)
    return text


def mask_text(text: str) -> str:
    """``text`` with every secret shape this module knows masked. Safe on any rendered output."""
    if len(text) <= _PART:
        return _mask_part(text) if text else text
    return "".join(_mask_part(part) for part in _parts(text))


#: A character after which a line break is a safe cut (:data:`_BOUNDARY`).
_CUT_BEFORE_LINE_END = re.compile(_CUT_BEFORE)


class TextMasker:
    """:func:`mask_text` over a text that arrives in pieces, for writing it as it is made.

    :meth:`feed` keeps what it is given until a line end no secret shape can span (:data:`_BOUNDARY`)
    follows at least :data:`_PART` characters, then hands back that much masked; :meth:`close` hands back
    the rest. The results joined equal ``mask_text`` of the pieces joined, however the text is cut into
    pieces. Each piece is searched for a cut once: linear in the length of the text.
    """

    def __init__(self) -> None:
        self._pending: list[str] = []
        self._size = 0
        self._last = ""  # the last character fed, for a cut at the start of the next piece

    def feed(self, piece: str) -> str:
        """``piece`` taken in; the masked text that can be given out now (often "")."""
        if not piece:
            return ""
        self._pending.append(piece)
        self._size += len(piece)
        before, self._last = self._last, piece[-1]
        if self._size < _PART:
            return ""
        cut = _last_cut(piece, before)
        if cut < 0:
            return ""
        text = "".join(self._pending)
        head = len(text) - len(piece) + cut
        rest = text[head:]
        self._pending, self._size = ([rest] if rest else []), len(rest)
        return mask_text(text[:head])

    def close(self) -> str:
        """The masked rest of the text."""
        text = "".join(self._pending)
        self._pending, self._size = [], 0
        return mask_text(text)


def _last_cut(piece: str, before: str) -> int:
    """Where ``piece`` can be cut last (just after a line end that follows a character no secret shape
    continues through), or -1. ``before`` is the character before ``piece``."""
    end = len(piece)
    while (i := piece.rfind("\n", 0, end)) >= 0:
        prev = piece[i - 1] if i else before
        if prev and _CUT_BEFORE_LINE_END.match(prev):
            return i + 1
        end = i
    return -1


# --------------------------------------------------------------------------------------------------------
# Structured data

#: Objects whose every data value is masked, whatever the key is called.
_DATA_KINDS = frozenset({"ConfigMap", "Secret"})
_DATA_KEYS = frozenset({"data", "stringData", "string_data", "binaryData", "binary_data"})
_CURL_FLAG = re.compile(r"-[a-z]{0,5}u|--user")


def mask_args(args: list[str]) -> list[str]:
    """An argument list with credential values masked: ``["--requirepass", "x"]``, ``["-u", "u:pw"]``.

    Each argument is also passed through :func:`mask_text` (``--db-password=x``, URLs, tokens).
    """
    out: list[str] = []
    prev = ""
    client = ""
    for arg in args:
        shown = arg
        if prev and not arg.startswith("-"):
            if is_secret_name(prev) and prev.startswith("-") and "=" not in prev:
                shown = _mask_value(arg)
            elif _CURL_FLAG.fullmatch(prev) and ":" in arg:
                user, _, pw = arg.partition(":")
                shown = arg if is_reference(pw) else f"{user}:{STARS}"
            elif prev == "-a" and client == "redis-cli":
                shown = _mask_value(arg)
        if client == "mysql" and arg.startswith("-p") and len(arg) > 2:
            shown = "-p" + _mask_value(arg[2:])
        if arg.rsplit("/", 1)[-1] in ("redis-cli", "mysql", "mysqladmin", "mysqldump"):
            client = "mysql" if arg.rsplit("/", 1)[-1].startswith("mysql") else "redis-cli"
        out.append(mask_text(shown))
        prev = arg
    return out


def _mask_all(value: Any) -> Any:
    """Every string leaf of a ConfigMap's or Secret's data, masked."""
    if isinstance(value, str):
        return mask(value) if value else value
    if isinstance(value, Mapping):
        return {k: _mask_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_all(v) for v in value]
    return value


def _mask_fields(fields: Mapping[str, Any], share: bool = False) -> dict[str, Any]:
    """The masking of one mapping (a dict, or the fields of a model): names decide what is secret.

    ``share``: a list or mapping in which nothing changed is returned itself, not copied (see
    :func:`_mask_any`)."""
    kind = fields.get("kind")
    data_kind = isinstance(kind, str) and kind in _DATA_KINDS  # `kind` may hold any value: a mapping, a model
    env_name = fields.get("name")
    secret_env = isinstance(env_name, str) and "value" in fields and is_secret_name(env_name)
    out: dict[str, Any] = {}
    for key, value in fields.items():
        t = type(value)
        if data_kind and key in _DATA_KEYS:
            out[key] = _mask_all(value)
        elif data_kind and key == "spec" and isinstance(value, Mapping):
            out[key] = {k: _mask_all(v) if k in _DATA_KEYS else mask_tree(v, k) for k, v in value.items()}
        elif t is str or (t not in _ATOMS and isinstance(value, str)):
            if (secret_env and key in ("value", "expanded")) or is_secret_name(
                key if type(key) is str else str(key)
            ):
                out[key] = _mask_value(value)
            elif len(value) <= _SHORT and _MAYBE.search(value) is None:  # mask_text's first test, inlined
                out[key] = value
            else:  # what _mask_any does with a string under a name that is not a credential's
                out[key] = mask_text(value)
        elif t in _ATOMS:  # numbers, booleans, None: nothing to mask
            out[key] = value
        else:
            out[key] = _mask_any(value, key if type(key) is str else str(key), share)
    return out


_T = TypeVar("_T")

#: Types whose values hold nothing to mask.
_ATOMS = frozenset({int, float, bool, type(None)})
#: What each type met is, for :func:`_mask_any`: (is a pydantic model, is a dataclass), found once a type.
_SHAPES: dict[type, tuple[bool, bool]] = {}
#: The field names of each pydantic model class met.
_MODEL_FIELDS: dict[type, tuple[str, ...]] = {}


def _shape(t: type) -> tuple[bool, bool]:
    shape = _SHAPES.get(t)
    if shape is None:
        # A pydantic model, duck-typed: the load generator never imports pydantic.
        is_model = hasattr(t, "model_fields") and hasattr(t, "model_copy")
        shape = _SHAPES[t] = (is_model, not is_model and dataclasses.is_dataclass(t) and t is not type)
    return shape


def mask_tree(value: _T, key: str | None = None) -> _T:
    """A copy of ``value`` (dicts, lists, strings, pydantic models, dataclasses) with secrets masked.

    ``key`` is the name ``value`` is held under, when there is one: a string under a credential's name
    is masked whole. Other values are returned as they are.
    """
    return cast(_T, _mask_any(value, key))


def _mask_any(value: Any, key: str | None, share: bool = False) -> Any:
    """:func:`mask_tree`. ``share``: inside a model, a list or mapping where nothing changed is returned
    itself rather than an equal copy, so that a model is copied only when one of its values is masked
    (model copies are shallow: the fields they keep are shared with the original anyway)."""
    t = type(value)
    if t is str:
        return _mask_value(value) if key is not None and is_secret_name(key) else mask_text(value)
    if t in _ATOMS:
        return value
    if t is dict:
        out = _mask_fields(value, share)
        return value if share and all(out[k] is v for k, v in value.items()) else out
    if t is list:
        return _mask_list(value, key, share)
    if isinstance(value, str):  # a str subclass (an enum's value)
        return _mask_value(value) if key is not None and is_secret_name(key) else mask_text(value)
    is_model, is_dataclass = _shape(t)
    if is_model:
        names = _MODEL_FIELDS.get(t)
        if names is None:
            names = _MODEL_FIELDS[t] = tuple(t.model_fields)
        fields = {name: getattr(value, name) for name in names}
        changed = {k: new for k, new in _mask_fields(fields, share=True).items() if new is not fields[k]}
        return value.model_copy(update=changed) if changed else value
    if is_dataclass:
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **_mask_fields(fields))
    if isinstance(value, Mapping):
        out = _mask_fields(value, share)
        return value if share and all(out[k] is v for k, v in value.items()) else out
    if isinstance(value, list | tuple):
        return _mask_list(value, key, share)
    return value


def _mask_list(value: list[Any] | tuple[Any, ...], key: str | None, share: bool) -> Any:
    """A list or tuple masked item by item; a list of strings as an argument list (:func:`mask_args`)."""
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        out: list[Any] | tuple[Any, ...] = mask_args(value)
    else:
        out = type(value)(_mask_any(item, key, share) for item in value)
    if share and all(new is old for new, old in zip(out, value, strict=True)):
        return value
    return out


def masked(value: _T) -> _T:
    """``value`` (a model about to be rendered) with every secret masked: :func:`mask_tree` by name."""
    return mask_tree(value)


class MaskedStream:
    """A text stream that masks what is written to it (:func:`mask_text`): the last line of defence of a
    console. ``name`` is ``"stdout"`` or ``"stderr"``: the stream is looked up on every write, so a test
    runner that swaps ``sys.stdout`` still captures the output."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def _stream(self) -> TextIO:
        return getattr(sys, self._name)

    def write(self, text: str) -> int:
        """Write ``text`` masked; returns the length of ``text`` as given, as callers expect."""
        self._stream.write(mask_text(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", None) or "utf-8"


def masked_stream(name: str) -> TextIO:
    """A :class:`MaskedStream` over ``sys.<name>``, typed as the text stream consoles expect."""
    return cast(TextIO, MaskedStream(name))
