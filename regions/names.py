"""Derived names of a division: the short name people say, and the pinyin that search matches."""

import re
import unicodedata

from opencc import OpenCC

from kb.slugs import add_phrase_readings, toneless_pinyin

# What people type in a region search, as regions are stored: full-width digits and letters (an input method left in
# full-width mode) folded by NFKC, traditional characters turned simplified by OpenCC's table.
TO_SIMPLIFIED = OpenCC("t2s")


def normalise(term: str) -> str:
    return TO_SIMPLIFIED.convert(unicodedata.normalize("NFKC", term)).strip()


def folded(term: str) -> str:
    """A Latin term as pinyin and initials are stored: lower case, without spaces."""
    return "".join(term.lower().split())


# Suffixes dropped to make a short name; the longest that matches wins.
SUFFIXES = sorted(
    (
        "特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "自治旗", "林区",
        "地区", "新区", "省", "市", "盟", "县", "区", "旗",
    ),
    key=len,
    reverse=True,
)  # fmt: skip
# An autonomous division's short name stops before the ethnic groups it names: 恩施土家族苗族自治州 → 恩施.
# Ethnic names of more than one character are listed so that 黔东南苗族侗族自治州 is not cut after 黔东.
MULTI_CHARACTER_ETHNIC_NAMES = (
    "土家", "朝鲜", "哈尼", "布依", "蒙古", "哈萨克", "柯尔克孜", "傈僳", "景颇", "纳西", "拉祜", "仡佬", "毛南",
    "达斡尔", "鄂温克", "鄂伦春", "锡伯", "裕固", "东乡", "撒拉", "仫佬",
)  # fmt: skip
ETHNIC_TAIL = re.compile(rf"^(.{{2,}}?)(?:(?:{'|'.join(MULTI_CHARACTER_ETHNIC_NAMES)}|[\u4e00-\u9fff])族)+$")

# Place names read differently from the everyday reading pypinyin picks: 长治 is changzhi, not zhangzhi.
PLACE_NAME_READINGS = {
    "长治": [["cháng"], ["zhì"]],
    "长春": [["cháng"], ["chūn"]],
    "长沙": [["cháng"], ["shā"]],
    "长寿": [["cháng"], ["shòu"]],
    "朝阳": [["cháo"], ["yáng"]],
    "单县": [["shàn"], ["xiàn"]],
    "涡阳": [["guō"], ["yáng"]],
    "洪洞": [["hóng"], ["tóng"]],
    "筠连": [["jūn"], ["lián"]],
    "六安": [["lù"], ["ān"]],
    "丽水": [["lí"], ["shuǐ"]],
    "蚌埠": [["bèng"], ["bù"]],
    "番禺": [["pān"], ["yú"]],
    "铅山": [["yán"], ["shān"]],
    "乐亭": [["lào"], ["tíng"]],
    "莘县": [["shēn"], ["xiàn"]],
    "大埔": [["dà"], ["bù"]],
    "黄陂": [["huáng"], ["pí"]],
}
add_phrase_readings(PLACE_NAME_READINGS)


def short_name(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            if suffix.startswith("自治") and (match := ETHNIC_TAIL.match(stem)):
                return match.group(1)
            return stem
    return name


def pinyin_of(name: str) -> tuple[str, str]:
    """Full pinyin without spaces or tones ('wuhanshi') and initials ('whs'), for search."""
    syllables = toneless_pinyin(name, errors="ignore")
    return "".join(syllables).lower(), "".join(s[0] for s in syllables if s).lower()
