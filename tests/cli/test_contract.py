"""The contract every command keeps: checked options and outputs before work, no traceback, exit codes."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import redline.cli.review as review_cli
import redline.review.engine
from redline.cli import app as app_module
from redline.cli.app import app, internal_error
from redline.model.units import UnitError, parse_rate

DEPLOYMENT = """\
apiVersion: v1
kind: Pod
metadata: {name: api}
spec: {containers: [{name: api, image: example/api:1.0}]}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "pod.yaml").write_text(DEPLOYMENT)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# ------------------------------------------------------------------------------------------- outputs

COMMANDS = (("scan", "-q"), ("review", "--fail-on", "never"), ("forecast", "-q", "--no-fail-on-breach"))
FORMATS = {"scan": ("text", "json", "mermaid", "dot"), "review": ("text", "json", "sarif", "markdown"),
           "forecast": ("text", "json", "html")}  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_output_into_a_missing_folder_is_refused_before_the_scan(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "report.out"
    for fmt in FORMATS[command[0]]:
        # The scanned path does not exist either: the output is checked first, before any work.
        code, out, err = run(
            command[0], str(tmp_path / "nothing-here"), *command[1:], "-f", fmt, "-o", str(target)
        )
        assert code == 2, fmt
        assert out == ""
        assert err == f"redline: error: --output {target}: the folder {target.parent} does not exist\n", fmt


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_output_onto_a_directory_is_refused(command: tuple[str, ...], repo: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    for fmt in FORMATS[command[0]]:
        code, _, err = run(command[0], str(repo), *command[1:], "-f", fmt, "-o", str(folder))
        assert code == 2, fmt
        assert err == f"redline: error: --output {folder}: is a directory; give a file name\n", fmt


def test_text_reports_written_to_a_file_are_plain_text(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "review.txt"
    code, out, _ = run("review", str(repo), "--fail-on", "never", "-o", str(target))
    assert code == 0 and out == ""
    text = target.read_text()
    assert "\x1b[" not in text
    assert text.splitlines()[-1].startswith("summary: 0 critical, 0 high, ")


def test_plot_onto_a_file_is_refused_before_the_scan(tmp_path: Path) -> None:
    plot = tmp_path / "plot"
    plot.write_text("")
    code, _, err = run("forecast", str(tmp_path / "nothing-here"), "--plot", str(plot))
    assert code == 2
    assert err == f"redline: error: --plot {plot}: is a file, not a folder\n"


# ------------------------------------------------------------------------------------------- options


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "0", "1e9"])
def test_max_file_size_must_be_a_sane_number(repo: Path, value: str) -> None:
    # Regression: `--max-file-size nan` crashed with "ValueError: cannot convert float NaN to integer".
    code, _, err = run("scan", str(repo), "-q", "--max-file-size", value)
    assert code == 2
    expected = f"Invalid value for '--max-file-size': must be a number of MB above 0 and at most 1000; got {float(value)}"
    assert _squeezed(expected) in _squeezed(err)


@pytest.mark.parametrize("value", ["!", "!  "])
def test_exclude_must_be_a_gitignore_pattern(repo: Path, value: str) -> None:
    # Regression: `--exclude '!'` crashed in pathspec (GitIgnorePatternError: Invalid git pattern).
    code, _, err = run("scan", str(repo), "-q", "--exclude", value)
    assert code == 2
    expected = f"Invalid value for '--exclude' / '-e': {value!r} is not a .gitignore-style pattern"
    assert _squeezed(expected) in _squeezed(err)


def _squeezed(text: str) -> str:
    """Text without whitespace or box edges: Click's error box folds long lines anywhere."""
    return "".join(text.replace("│", "").split())


@pytest.mark.parametrize("value", ["0", "0x", "-3", "1e3", "2000000x", "10y"])
def test_growth_must_be_a_bounded_positive_factor(repo: Path, value: str) -> None:
    code, _, err = run("forecast", str(repo), "-q", "--growth", value)
    assert code == 2
    assert err == (
        f"redline: error: --growth must be a positive factor up to 1,000,000x, such as 10x or 1.5; got {value!r}\n"
    )


@pytest.mark.parametrize("value", ["-5", "1e400", "nan", "fast"])
def test_rps_must_be_a_finite_rate(repo: Path, value: str) -> None:
    with pytest.raises(UnitError) as refused:  # the units module words the reason; the CLI passes it on
        parse_rate(value)
    code, _, err = run("forecast", str(repo), "-q", "--rps", value)
    assert code == 2
    assert err == f"redline: error: --rps: {refused.value}\n"


# ------------------------------------------------------------------------------------------- exit codes


def test_nothing_read_is_exit_2_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("")
    for command in ("scan", "review", "forecast"):
        code, _, err = run(command, str(tmp_path))
        assert code == 2, command
        assert err == (
            f"redline: error: nothing could be read in {tmp_path}: no Compose, Kubernetes, kustomize or "
            "redline.yaml files with anything in them\n"
        ), command


# ------------------------------------------------------------------------------------------- internal errors


def _line_of(module: object, text: str) -> int:
    lines = Path(inspect.getfile(module)).read_text().splitlines()  # type: ignore[arg-type]
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_an_internal_error_is_one_line_and_exit_70(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_rule_engine(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput\nsecond line")

    monkeypatch.setattr(redline.review.engine, "review", broken_rule_engine)
    monkeypatch.setattr(sys, "argv", ["redline", "review", str(repo)])
    monkeypatch.delenv("REDLINE_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_:
        app_module.main()
    assert exit_.value.code == 70
    line = _line_of(review_cli, "report = review(system, cfg, known)")
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"redline: internal error in redline/cli/review.py:{line}: RuntimeError: kaput second line; "
        "please report it at the redline issue tracker with this line (REDLINE_DEBUG=1 shows the traceback)"
    )
    assert "Traceback" not in err


def test_redline_debug_shows_the_traceback(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_rule_engine(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(redline.review.engine, "review", broken_rule_engine)
    monkeypatch.setattr(sys, "argv", ["redline", "review", str(repo)])
    monkeypatch.setenv("REDLINE_DEBUG", "1")
    with pytest.raises(SystemExit) as exit_:
        app_module.main()
    assert exit_.value.code == 70
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().endswith("RuntimeError: kaput")


def test_internal_error_names_the_innermost_redline_frame() -> None:
    import redline.model.units as units

    with pytest.raises(UnitError) as refused:
        parse_rate("fast")
    message = internal_error(refused.value)
    source = Path(units.__file__).read_text().splitlines()
    raising = [i for i, line in enumerate(source, 1) if "raise UnitError" in line]
    where = message.removeprefix("redline: internal error in redline/model/units.py:").split(":")[0]
    assert int(where) in raising
    assert f": UnitError: {refused.value}; please report it" in message


def test_usage_errors_stay_exit_2_through_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["redline", "scan", "--bogus"])
    with pytest.raises(SystemExit) as exit_:
        app_module.main()
    assert exit_.value.code == 2
    assert "No such option: --bogus" in capsys.readouterr().err
