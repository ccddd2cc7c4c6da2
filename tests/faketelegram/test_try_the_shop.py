"""faketelegram/README.md's "Try the shop by hand" runs as written: the shop's bot against the
fake, a buyer ordering and paying with curl, a staff member refunding in the group.

The recipe names message ids (the products are messages 5 to 9, the bot's question in the
group is message 2) and ``since=`` marks of today's flows: a change to the catalog or the
checkout would break it silently. So the README's own shell block is run here, on a free
port instead of 8081, and what its renders print is checked.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "faketelegram" / "README.md"


def recipe() -> str:
    """The first ``sh`` block under "### Try the shop by hand"."""
    section = README.read_text(encoding="utf-8").split("### Try the shop by hand", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_recipe_is_one_block_on_port_8081():
    text = recipe()
    assert "--port 8081" in text and "localhost:8081" in text and "127.0.0.1:8081" in text
    assert text.rstrip().endswith("# the bot, then the fake")


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None,
                    reason="the recipe is a bash script of curl commands: curl or bash is "
                           "missing")
def test_try_the_shop_by_hand_runs_as_written(tmp_path):
    port = free_port()
    script = tmp_path / "try_the_shop.sh"
    # each render's output follows a line naming it ("=== 42?since=36"), to be told apart
    lines = [re.sub(r'^(curl -s "?\$C/chats/([^/]+)/render(\?since=\d+)?"?)',
                    lambda m: f'echo "=== {m.group(2)}{m.group(3) or ""}"; {m.group(1)}', line)
             for line in recipe().replace("8081", str(port)).splitlines()]
    script.write_text("set -e\n" + "\n".join(lines) + "\n", encoding="utf-8")
    # the recipe's environment: the embedded store, none of this run's settings
    env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
           "HOME": os.environ.get("HOME", str(tmp_path)), "PYTHONPATH": str(ROOT),
           "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
    # its own session, so that whatever it leaves running is stopped by its group's id
    process = subprocess.Popen(["bash", str(script)], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        out, _ = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        pytest.fail("the recipe did not finish in 120 s:\n" + out[-3000:])
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the bot or the fake, if left behind
        except ProcessLookupError:
            pass
    assert process.returncode == 0, out[-3000:]
    found = re.findall(r"^=== (\S+)\n(.*?)(?=^=== |\Z)", out, re.S | re.M)
    assert [name for name, _ in found] == ["42", "42?since=36", "-1001234567890",
                                           "-1001234567890", "42?since=40"], out[-3000:]
    renders = dict(found[:2] + found[4:])
    paid_card, refunded_card = found[2][1], found[3][1]
    # "the products are messages 5 to 9": message 5 is the product the buyer adds
    assert re.search(r"^#\d+\s+bot\s+send \(sendPhoto\) \[5\] \"War and Peace", renders["42"],
                     re.M), renders["42"]
    # render?since=36: from the press of "Place order" on, the order and its invoice
    since_36 = entries(renders["42?since=36"])
    assert re.match(r"#37\s+user\s+click \[\d+\] '✅ Place order'", since_36[0]), since_36
    assert any("(sendInvoice) [18] 'Order #1001' invoice 89000 RUB buttons: [Pay 890.00 RUB]"
               in line for line in since_36), since_36
    # the staff card, paid, then refunded by a reply to the bot's question (message 2)
    assert "[🚚 Отправить | " in paid_card and "[↩️ Возврат | " in paid_card, paid_card
    assert re.search(r"send \(sendMessage\) \[2\] 'Oleg, почему возвращаем заказ №1001\?",
                     refunded_card), refunded_card
    assert "'Заказ №1001: возвращён, Oleg: damaged'" in refunded_card
    assert "↩️ Заказ №1001 · возвращён" in refunded_card
    # render?since=40: Ann paid (the pre-checkout answered yes) and was told of the refund
    since_40 = entries(renders["42?since=40"])
    assert re.match(r"#41\s+user\s+pre_checkout \[18\] 89000 RUB", since_40[0]), since_40
    assert re.match(r"#42\s+bot\s+answer_pre_checkout \[18\] ok=True", since_40[1]), since_40
    assert "Payment for order #1001 received" in since_40[3], since_40
    assert "Order #1001 is refunded: damaged" in since_40[4], since_40


def entries(render: str) -> list[str]:
    """A render's transcript entries (the bot's log lines between them left out)."""
    return [line for line in render.splitlines() if re.match(r"#\d+ ", line)]
