"""宣传: a post on a 微信公众号 (荟益沙, 下沙发布) or a media report (钱塘发布, 杭州日报, 潮新闻 … at 区级/市级/省级/国家级),
its kind (日常服务信息, 媒体报道, 品牌故事), title, date, link and reads, tied to a project and/or a brand
(core.resources.publicity). A hub keeps these in its 宣传台账 (Excel): the sheet's columns are these fields."""
from __future__ import annotations

import re

import pandas as pd
from pandera.typing.pandas import Series

from schemas import choices
from schemas.base import FormSchema, blank, field, rule

DAILY, MEDIA_REPORT, STORY = "日常服务信息", "媒体报道", "品牌故事"
PUBLICITY_KINDS = [DAILY, MEDIA_REPORT, STORY]
MEDIA_LEVELS = ["区级", "市级", "省级", "国家级"]
WECHAT, MEDIA = "微信公众号", "新闻媒体"
# the channels a hub publishes on, each with its type and (for media) the level it usually counts at
CHANNELS: dict[str, tuple[str, str | None]] = {
    "荟益沙": (WECHAT, None), "下沙发布": (WECHAT, None), "其他公众号": (WECHAT, None),
    "钱塘发布": (MEDIA, "区级"), "钱塘融媒": (MEDIA, "区级"),
    "杭州日报": (MEDIA, "市级"), "都市快报": (MEDIA, "市级"), "杭州网": (MEDIA, "市级"), "杭州电视台": (MEDIA, "市级"),
    "潮新闻": (MEDIA, "省级"), "浙江日报": (MEDIA, "省级"), "钱江晚报": (MEDIA, "省级"),
    "中国社会报": (MEDIA, "国家级"), "人民网": (MEDIA, "国家级"), "新华网": (MEDIA, "国家级"),
    "其他媒体": (MEDIA, None),
}
WECHAT_CHANNELS = [c for c, (t, _) in CHANNELS.items() if t == WECHAT]
DEFAULT_LEVELS = {c: lvl for c, (_, lvl) in CHANNELS.items() if lvl}
for _source, _values in {"publicity_kinds": PUBLICITY_KINDS, "publicity_channels": list(CHANNELS),
                         "media_levels": MEDIA_LEVELS}.items():
    choices.register_provider(_source, lambda v=_values: v)

# a link: http(s)://, a host with a dot (or an address), then no spaces; stored as typed
URL = re.compile(r"^https?://[A-Za-z0-9\-._~%]+\.[A-Za-z0-9\-._~%]+(:\d{1,5})?([/?#][^\s<>\"']*)?$", re.IGNORECASE)
BAD_LINK = "链接须为以 http:// 或 https:// 开头的完整网址(如公众号文章在浏览器中的地址),不能含空格或引号"
NO_TARGET = "请选择关联项目或关联品牌(至少一项),这条宣传才能计入项目档案和品牌矩阵"
REPORT_ON_WECHAT = (f"媒体报道须选择新闻媒体渠道({'、'.join(WECHAT_CHANNELS)}为微信公众号):"
                    f"请改选媒体,或把宣传类别改为{DAILY}或{STORY}")
REPORT_LEVEL = "媒体报道须选择媒体级别(区级、市级、省级或国家级)"
LEVEL_ON_WECHAT = "微信公众号发布不分媒体级别:请清空媒体级别,或改选新闻媒体渠道"


def is_url(value) -> bool:
    return isinstance(value, str) and bool(URL.match(value))


def _wechat(df: pd.DataFrame) -> pd.Series:
    return df["channel"].map(lambda c: isinstance(c, str) and CHANNELS.get(c, ("", None))[0] == WECHAT)


class PublicityItem(FormSchema):
    title: Series[str] = field("宣传标题", str_length={"min_value": 2, "max_value": 200},
                               help="推文或报道的标题,按原文填写")
    kind: Series[str] = field("宣传类别", widget="select", source="publicity_kinds",
                              help="日常服务信息:活动预告、服务动态;媒体报道:新闻媒体的报道;品牌故事:讲述品牌的专题")
    channel: Series[str] = field("发布渠道", widget="select", source="publicity_channels",
                                 help="荟益沙、下沙发布为微信公众号,其余为新闻媒体")
    level: Series[str] = field("媒体级别", widget="select", source="media_levels", required=False,
                               help="媒体报道的级别;不选时按渠道的常用级别计(钱塘发布 区级、杭州日报 市级、潮新闻 省级)")
    published_on: Series[pd.Timestamp] = field("发布日期", widget="date", not_future=())
    link: Series[str] = field("原文链接", required=False, str_length={"max_value": 500},
                              help="以 http:// 或 https:// 开头的网址;选填")
    project_id: Series[pd.Int64Dtype] = field("关联项目", widget="select", source="projects", required=False,
                                              help="宣传的是哪个立项项目;与关联品牌至少选一项")
    brand_id: Series[pd.Int64Dtype] = field("关联品牌", widget="select", source="brands", required=False,
                                            help="不选时按关联项目所属的品牌计入品牌矩阵")
    reads: Series[pd.Int64Dtype] = field("阅读量", widget="int", required=False, ge=0, le=100_000_000,
                                         help="阅读或浏览次数;选填,按统计日的数字填写")
    notes: Series[str] = field("宣传备注", widget="textarea", required=False, str_length={"max_value": 1000})

    @rule("link", message=BAD_LINK)
    def _link_is_url(cls, df: pd.DataFrame) -> pd.Series:
        return df["link"].map(lambda v: blank(v) or is_url(v))

    @rule("project_id", message=NO_TARGET)
    def _tied(cls, df: pd.DataFrame) -> pd.Series:
        return df["project_id"].notna() | df["brand_id"].notna()

    @rule("channel", message=REPORT_ON_WECHAT)
    def _report_in_media(cls, df: pd.DataFrame) -> pd.Series:
        return (df["kind"] != MEDIA_REPORT) | ~_wechat(df)

    @rule("level", message=REPORT_LEVEL)
    def _report_level(cls, df: pd.DataFrame) -> pd.Series:
        known = df["channel"].map(lambda c: c in DEFAULT_LEVELS)
        return (df["kind"] != MEDIA_REPORT) | df["level"].map(lambda v: not blank(v)) | known

    @rule("level", message=LEVEL_ON_WECHAT)
    def _no_level_on_wechat(cls, df: pd.DataFrame) -> pd.Series:
        return df["level"].map(blank) | ~_wechat(df)
