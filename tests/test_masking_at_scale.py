"""Secret masking at scale: the prefilters and the cutting of big texts never change what is masked, the
JSON written piece by piece is the whole rendering, and planted secrets stay masked in big outputs (plain
tables, streamed JSON) as in small ones."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from unittest.mock import patch

import pydantic_core
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from redline.cli.app import app
from redline.cli.common import emit
from redline.model import Component, Container, EnvVar, Kind, Source, secrets
from redline.model.secrets import _PASSES, TextMasker, mask_text, masked
from redline.report import plain_table, scan_json
from redline.sources.scan import scan
from tests.conftest import EXAMPLES, samples_dir


def _every_pass(text: str) -> str:
    """What masking means: every pass over the whole text, no prefilter, no cutting."""
    for pattern, sub in _PASSES:
        text = pattern.sub(sub, text)
    return text


# Pieces of secret shapes and of what stands around them (line ends after cut characters and not).
FRAGMENTS = [
    "--password", "-token", "-requirepass", " ", "\n", "}\n", "]\n", "│\n", "\t", '"', "'", ",", "=", "@",
    "://", "postgres://u:pw@h", "redis-cli", "mysql", "-a", "-p", "-pSecret1", "-u", "-fsu", "--user",
    "a:b", "user:pw", "PASSWORD=", "DB_PASSWORD=hunter2", "?key=abc", "&sig=x", "AKIAABCDEFGHIJKLMNOP",
    "ghp_" + "a" * 36, "xoxb-12345678", "eyJabc.eyJde.f", "-----BEGIN RSA PRIVATE KEY-----", "MIIBOg",
    "\\n", "-----END RSA PRIVATE KEY-----", "secret", "apiKey", "x", "svc-1", "[", "]", "{", "}", "$(X)",
    "${Y}", "ſ", "K", ".", "-", "--", "Token", "s3cr3t", "&", "?", "sk_live_" + "a" * 20,
    "glpat-" + "b" * 20, "AIza" + "c" * 35, ":", "/", "\\", "****",
]  # fmt: skip
# Shapes that can span a line end, each with what can stand between its parts and around it.
HEADS = [
    "--password",
    "-token",
    "redis-cli -a",
    "mysql -p",
    "curl -u",
    "--user",
    "-----BEGIN RSA PRIVATE KEY-----",
]
SEPARATORS = [" ", "\n", ",\n", "}\n", "]\n", ")\n", "│\n", '",\n  "', "[\n", "\\\n", "=", "*\n", "@\n", ""]
VALUES = ["hunter22", "u:pw1234", "MIIBOg\n", "x}", "${X}", "-----END RSA PRIVATE KEY-----", "eyJa.eyJb.c"]


TEXTS = st.lists(
    st.sampled_from(FRAGMENTS) | st.text(max_size=4) | st.sampled_from(HEADS + SEPARATORS + VALUES),
    max_size=80,
).map("".join)


@pytest.mark.parametrize("head", HEADS)
def test_cutting_a_text_never_splits_a_secret_shape(head: str) -> None:
    """Every separator after every flag-like head, before every value, with a line before and after: cut
    wherever a cut is allowed (parts of 1 character), the text masks as it does whole."""
    with patch.object(secrets, "_PART", 1):
        for sep in SEPARATORS:
            for value in VALUES:
                for around in ("", "}\n", "a\n", "│\n"):
                    text = f"{around}{head}{sep}{value}{around}{head}{value}\n"
                    assert mask_text(text) == _every_pass(text), repr(text)


@settings(max_examples=300)
@given(TEXTS)
def test_mask_text_is_every_pass_over_the_whole_text(text: str) -> None:
    with patch.object(secrets, "_PART", 1):  # cut wherever a cut is allowed
        assert mask_text(text) == _every_pass(text)
    assert mask_text(text) == _every_pass(text)


@settings(max_examples=300)
@given(TEXTS, st.lists(st.integers(min_value=0, max_value=12), max_size=40))
def test_text_masker_masks_pieces_as_their_whole(text: str, sizes: list[int]) -> None:
    pieces, at = [], 0
    for size in [*sizes, len(text)]:
        pieces.append(text[at : at + size])
        at += size
    with patch.object(secrets, "_PART", 1):
        masker = TextMasker()
        shown = "".join(masker.feed(piece) for piece in pieces) + masker.close()
    assert shown == _every_pass(text)


def test_a_single_dash_credential_flag_is_masked_alone() -> None:
    # The old prefilter ran the passes only on texts holding `@`, `=`, `--`, `-p`, ...: a lone `-token X`
    # was masked only when such a character stood elsewhere in the same text.
    assert mask_text("-token abc12345") == "-token ab****"
    assert mask_text("redis-server -requirepass hunter22") == "redis-server -requirepass hu****"
    assert mask_text("run -secret s3cr3tvalue") == "run -secret s3****"


def test_a_big_text_is_masked_everywhere_in_it() -> None:
    filler = '    {\n      "name": "svc",\n      "replicas": 2\n    },\n' * 20_000  # 1 MB, cut ~30 times
    planted = [
        "postgres://app:S3cr3t-PLANTED-A1@db:5432/x",
        "--requirepass S3cr3t-PLANTED-A2",
        "DB_PASSWORD=S3cr3t-PLANTED-A3",
        "ghp_PLANTEDA4aaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ]
    text = filler + "\n".join(planted) + "\n" + filler + planted[0] + filler
    assert len(text) > 30 * secrets._PART
    shown = mask_text(text)
    assert "PLANTED" not in shown
    assert shown.count("postgres://app:****@db:5432/x") == 2
    assert "--requirepass S3****" in shown and "DB_PASSWORD=S3****" in shown and "ghp_****" in shown
    assert shown == _every_pass(text)


# ------------------------------------------------------------------ emit: the one step every output takes


def _split(text: str, size: int) -> Iterator[str]:
    for at in range(0, len(text), size):
        yield text[at : at + size]


SPLIT_SECRET = "url: postgres://app:S3cr3t-PLANTED-B1@db:5432/x\n" + "}\n" * 40_000


def test_emit_masks_a_secret_cut_across_pieces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    emit(_split(SPLIT_SECRET, 7), out)  # "S3cr3t" and "@db" arrive in different pieces
    written = out.read_text(encoding="utf-8")
    assert written == SPLIT_SECRET.replace("S3cr3t-PLANTED-B1", "****")
    assert not (tmp_path / "out.json.tmp").exists()
    emit(_split(SPLIT_SECRET, 7), None)
    assert capsys.readouterr().out == written


def test_emit_leaves_no_file_when_the_renderer_fails(tmp_path: Path) -> None:
    def failing() -> Iterator[str]:
        yield "{\n" * 50_000
        raise RuntimeError("renderer bug")

    out = tmp_path / "out.json"
    with pytest.raises(RuntimeError, match="renderer bug"):
        emit(failing(), out)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ scan JSON written in pieces


def _whole(system_dir: Path) -> tuple[str, str]:
    system = scan(system_dir)
    whole = pydantic_core.to_json(scan_json.to_dict(system), indent=2).decode() + "\n"
    return whole, "".join(scan_json.render_parts(system))


@pytest.mark.parametrize("sample", ["online-boutique", "sock-shop", "deathstarbench"])
def test_json_pieces_are_the_whole_rendering_on_samples(sample: str) -> None:
    whole, pieces = _whole(samples_dir(sample))
    assert pieces == whole
    assert json.loads(pieces)["components"]


def test_json_pieces_are_the_whole_rendering_on_the_example() -> None:
    whole, pieces = _whole(EXAMPLES / "shop")
    assert pieces == whole
    data = json.loads(pieces)
    assert list(data)[-3:] == ["skipped", "warnings", "defaults"]


# ------------------------------------------------------------------ a big scan with planted secrets

BIG = 2_100  # Deployments: the components table is drawn plainly (over plain_table.PLAIN_ROWS rows)

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: svc{i}}}
spec:
  selector: {{matchLabels: {{app: svc{i}}}}}
  template:
    metadata: {{labels: {{app: svc{i}}}}}
    spec:
      containers:
        - name: app
          image: example/svc{i}:1.0
          env:
            - {{name: NEXT_URL, value: "http://svc{nxt}:8080"}}
---
apiVersion: v1
kind: Service
metadata: {{name: svc{i}}}
spec:
  selector: {{app: svc{i}}}
  ports: [{{port: 8080}}]
"""

PLANTED = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: example/api:1.0
          args: ["--requirepass", "S3cr3t-PLANTED-C1", "--db-password=S3cr3t-PLANTED-C2"]
          env:
            - {name: DB_PASSWORD, value: S3cr3t-PLANTED-C3}
            - {name: DATABASE_URL, value: "postgres://app:S3cr3t-PLANTED-C4@svc7:5432/app"}
            - {name: GITHUB_TOKEN, value: ghp_PLANTEDC5aaaaaaaaaaaaaaaaaaaaaaaaaaaaa}
---
apiVersion: v1
kind: Secret
metadata: {name: api}
stringData: {pw: S3cr3t-PLANTED-C6}
"""


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    for start in range(0, BIG, 100):
        docs = [DEPLOYMENT.format(i=i, nxt=(i + 1) % BIG) for i in range(start, start + 100)]
        (root / f"svc{start:05d}.yaml").write_text("---\n".join(docs))
    (root / "api.yaml").write_text(PLANTED)
    return root


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_planted_secrets_stay_masked_in_a_big_scan(big: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    runner = CliRunner()
    for args in (["-o", str(out)], []):
        result = runner.invoke(app, ["scan", str(big), "-f", fmt, "-q", *args])
        assert result.exit_code == 0, result.output
        shown = out.read_text(encoding="utf-8") if args else result.output
        assert len(shown) > 2 * secrets._PART
        assert "PLANTED" not in shown
        assert "postgres://app:****@svc7:5432/app" in shown  # the evidence of the edge api -> svc7
        if fmt == "json":
            data = json.loads(shown)
            api = next(c for c in data["components"] if c["name"] == "api")
            env = {e["name"]: e["value"] for e in api["containers"][0]["env"]}
            assert env["DB_PASSWORD"] == "S3****" and env["GITHUB_TOKEN"] == "ghp_****"
            assert api["containers"][0]["command"] == ["--requirepass", "S3****", "--db-password=S3****"]
        else:
            assert f"Components ({BIG + 1})" in shown and "│ api " in shown  # the plain table, every row


# ------------------------------------------------------------------ plain tables


def _table(rows: int) -> Table:
    table = Table(title=f"Things ({rows})", title_justify="left")
    for col in ("name", "evidence", "at"):
        table.add_column(col, overflow="fold")
    for i in range(rows):
        evidence = f"env URL=http://svc{i}:80\n(+{i} more)" if i % 3 == 0 else "[bold]x[/] 数据"
        table.add_row(f"svc{i}", evidence, f"app{i}.yaml:{i + 1}")
    return table


def _rich(table: Table) -> str:
    buffer = io.StringIO()
    Console(file=buffer, width=160, no_color=True, soft_wrap=False, highlight=False).print(table)
    return buffer.getvalue()


def test_a_plain_table_is_richs_table_when_it_fits_the_width() -> None:
    table = _table(plain_table.PLAIN_ROWS + 5)
    buffer = io.StringIO()
    console = Console(file=buffer, width=160, no_color=True, soft_wrap=False, highlight=False)
    plain_table.print_table(console, table)
    assert buffer.getvalue() == _rich(table)
    shown = buffer.getvalue()
    assert (
        "│ svc3    │ env URL=http://svc3:80    │ app3.yaml:4       │\n"
        "│         │ (+3 more)                 │                   │\n"
    ) in shown  # a cell of two lines is a row of two lines
    assert (
        "│ svc1    │ x 数据                    │ app1.yaml:2       │\n" in shown
    )  # markup read, 数据 2 columns each


def test_a_small_table_is_drawn_by_rich() -> None:
    table = _table(3)
    buffer = io.StringIO()
    with patch.object(plain_table, "plain_lines", side_effect=AssertionError("drawn plainly")):
        plain_table.print_table(
            Console(file=buffer, width=160, no_color=True, soft_wrap=False, highlight=False), table
        )
    assert buffer.getvalue() == _rich(table)


# ------------------------------------------------------------------ masked models: copies only where masked


def test_masked_model_is_copied_only_where_a_secret_is_masked() -> None:
    plain = Component(
        name="a",
        kind=Kind.SERVICE,
        source=Source(file="a.yaml", line=1),
        containers=[Container(name="c", env=[EnvVar(name="X", value="1")])],
    )
    assert masked(plain) is plain
    secret = plain.model_copy(
        update={"containers": [Container(name="c", env=[EnvVar(name="DB_PASSWORD", value="hunter22")])]}
    )
    shown = masked(secret)
    assert shown is not secret and shown.containers[0].env[0].value == "hu****"
    assert secret.containers[0].env[0].value == "hunter22"
    assert shown.labels is secret.labels  # what was not masked is shared, as model_copy shares it
