"""Text that means something, in a real browser (issue 14): staff registering organisations.

One walk through 登记新组织: a name made only of zero-width spaces is refused in Chinese (请填写组织名称), the
typed input stays and nothing is written; a 统一社会信用代码 typed in full-width letters and digits is
registered and stored half-width; a 59 code (民政, category 9) is registered with the kind 其他社会组织.
Screenshots go to /tmp/shots-text/.
"""
from __future__ import annotations

import random
import re
from pathlib import Path

from stdnum.cn import uscc as stdnum_uscc

from tests.browser.conftest import WAIT_MS, login, open_screen, settle, wait_for_app
from tests.browser.test_e2e_registry import _choose, _field, _text  # the 登记新组织 form's fields

SHOTS = Path("/tmp/shots-text")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _uscc(prefix: str) -> str:
    body = prefix + "330114MJ" + "".join(random.choices(USCC_ALPHABET, k=7))
    return body + stdnum_uscc.calc_check_digit(body)


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _register(page, typed: dict, kind: str) -> None:
    for field, value in typed.items():
        _text(page, field).fill(value)
    _choose(page, "kind", kind)
    _choose(page, "community", "文海社区")
    _choose(page, "stage", "初创期")
    page.locator("[data-testid='stForm']").get_by_role("button", name="登记").click()
    settle(page)


def _count(page, query: str = "") -> int:
    """How many organisations the registry lists for ``query`` (the list's own count caption)."""
    open_screen(page, "社会组织台账")
    search = page.get_by_placeholder("名称、统一社会信用代码或备案编号")
    search.fill(query)
    search.press("Enter")
    wait_for_app(page)
    caption = page.get_by_text(re.compile(r"共 \d+ 条")).first
    caption.wait_for(timeout=WAIT_MS)
    return int(re.search(r"共 (\d+) 条", caption.inner_text()).group(1))


def test_staff_registers_organisations_under_the_text_rules(server, page):
    login(page, server, "staff")
    before = _count(page)

    # 1. a name of zero-width spaces only: refused in Chinese, input kept, nothing written
    open_screen(page, "登记新组织")
    invisible = "\u200b" * 6
    code = _uscc("51")
    typed = {"name": invisible, "uscc": code, "contact_person": "赵测试", "contact_phone": "13812345678"}
    _register(page, typed, "社会团体")
    page.get_by_text("未保存:请按提示修改后重新提交。").wait_for(timeout=WAIT_MS)
    below_name = _field(page, "name").locator("xpath=following-sibling::*")
    below_name.get_by_text("请填写组织名称").first.wait_for(timeout=WAIT_MS)
    assert page.get_by_text("已登记").count() == 0
    for field, value in typed.items():
        assert _text(page, field).input_value() == value, f"{field} lost after a failed submit"
    _shot(page, "1-zero-width-name-refused")
    assert _count(page) == before, "a refused organisation was written"

    # 2. the same code typed in full-width letters and digits: registered, stored half-width
    open_screen(page, "登记新组织")
    name = "钱塘区全角代码测试服务社" + "".join(random.choices("甲乙丙丁戊己庚辛壬癸", k=4))
    wide = _fullwidth(code)
    assert "ＭＪ" in wide
    _register(page, {"name": name, "uscc": wide, "contact_person": "赵测试", "contact_phone": "13812345678"}, "社会团体")
    page.locator("[data-testid='stAlert']", has_text=f"已登记:{name}").wait_for(timeout=WAIT_MS)
    _shot(page, "2-full-width-uscc-registered")
    assert _count(page, code) == 1, "the half-width code does not find the organisation"
    _shot(page, "3-found-by-half-width-code")

    # 3. a 59 code (民政, category 9) with the kind 其他社会组织: registered
    open_screen(page, "登记新组织")
    other = "钱塘区其他社会组织测试会" + "".join(random.choices("甲乙丙丁戊己庚辛壬癸", k=4))
    code59 = _uscc("59")
    _register(page, {"name": other, "uscc": code59, "contact_person": "钱测试", "contact_phone": "13812345679"},
              "其他社会组织")
    page.locator("[data-testid='stAlert']", has_text=f"已登记:{other}").wait_for(timeout=WAIT_MS)
    _shot(page, "4-59-code-registered")
    assert _count(page, code59) == 1
    assert _count(page) == before + 2
