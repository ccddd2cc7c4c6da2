"""``python -m engine graph`` and ``replay --e2e``: a missing tool or server is said in a
line, and what can be done is done (issue 14.12)."""

from __future__ import annotations

from engine.cli import main
from tests.engine.conftest import MINI


def test_graph_without_graphviz_still_writes_the_mermaid_file(tmp_path, monkeypatch, capsys):
    import engine.graph

    monkeypatch.setattr(engine.graph.shutil, "which", lambda name: None)
    svg, mmd = tmp_path / "x.svg", tmp_path / "x.mmd"
    assert main(["graph", str(MINI), "-o", str(svg), "-o", str(mmd)]) == 1
    assert mmd.read_text(encoding="utf-8").startswith("stateDiagram-v2")
    assert not svg.exists()
    out, err = capsys.readouterr()
    assert f"wrote {mmd}" in out
    assert err == (f"not written: {svg}: drawing .svg needs Graphviz's 'dot' (apt-get install "
                   "graphviz); .mmd (Mermaid) works without it\n")


def test_graph_writes_dot_without_graphviz(tmp_path, monkeypatch):
    import engine.graph

    monkeypatch.setattr(engine.graph.shutil, "which", lambda name: None)
    assert main(["graph", str(MINI), "-o", str(tmp_path / "x.dot")]) == 0
    assert (tmp_path / "x.dot").read_text(encoding="utf-8").startswith("digraph flows {")


def test_replay_e2e_without_a_server_says_what_is_needed(monkeypatch, capsys):
    monkeypatch.delenv("MONGO_URI", raising=False)
    assert main(["replay", str(MINI / "conversations"), "--e2e"]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert err.count("\n") == 1 and "set MONGO_URI=mongodb://" in err
    assert err.startswith("replay --e2e: end-to-end replays need a real MongoDB-wire server")


def test_check_counts_in_the_singular_when_there_is_one(tmp_path, capsys):
    """``python -m engine check`` said "1 languages"."""
    import shutil

    flows = tmp_path / "mini"
    shutil.copytree(MINI, flows, ignore=shutil.ignore_patterns("conversations", "__pycache__"))
    bot = flows / "bot.yaml"
    bot.write_text(bot.read_text(encoding="utf-8").replace("languages: [en, ru]",
                                                           "languages: [en]"), encoding="utf-8")
    (flows / "texts" / "ru.yaml").unlink()
    assert main(["check", str(flows)]) == 0
    assert capsys.readouterr().out.endswith(", 1 language)\n")
    assert main(["check", str(MINI)]) == 0
    assert capsys.readouterr().out.endswith(", 2 languages)\n")
