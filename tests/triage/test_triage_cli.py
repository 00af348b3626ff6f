"""The ``rapport triage`` command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.triage.cli import main


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])

    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    for command in ("train", "eval", "predict", "train-intents"):
        assert command in out


@pytest.mark.parametrize("command", ["train", "eval", "predict", "train-intents"])
def test_each_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])

    assert exit_info.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_predict_prints_one_label_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "texts.txt"
    source.write_text("I love this!\nthis is awful, worst service ever\n\n", encoding="utf-8")

    code = main(["predict", "--task", "sentiment", "--input", str(source)])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert len(lines) == 3
    assert lines[0] == "positive"
    assert lines[1] == "negative"


def test_predict_complaint_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "texts.txt"
    source.write_text("@airline my flight was cancelled and nobody helps\nnice sunset\n")

    main(["predict", "--task", "complaint", "--input", str(source)])

    assert capsys.readouterr().out.splitlines() == ["complaint", "not_complaint"]


def test_train_intents_writes_a_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "intents.csv"
    source.write_text(
        "text,intent\nwhere is my card,card\ncard not here,card\n"
        "refund please,refund\nmoney back,refund\n"
    )

    code = main(["train-intents", "--input", str(source), "--name", "mini", "--out", str(tmp_path)])

    assert code == 0
    assert (tmp_path / "mini.npz").exists()
    assert (tmp_path / "mini.json").exists()
