"""The exact pass's words and the routing table: complete, deterministic, and small per shard."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disclosure.site.routing import (
    KEYS_PER_SHARD,
    PAGE,
    RoutedRecord,
    district_key,
    query_route_keys,
    record_route_keys,
    route_table,
    route_table_of_counts,
    shard_of,
    short_route_keys,
)
from disclosure.site.search_terms import (
    EXACT_BREAK,
    exact_code,
    exact_phrase,
    exact_sequence,
    exact_tokens,
    exact_words,
    is_han,
)

NAMES = [
    "福州鑫源恒泰食品有限公司",
    "福建省闽侯县永江环保科技有限公司",
    "陈长航",
    "福州市鼓楼区中医院",
    "ＡＢＣ（福州）贸易有限公司",
    "榕市监处罚〔2026〕45012号",
    "JY13501024501２",
    "91350102MA2XN4J01Q",
]


def test_exact_tokens_are_characters_and_runs_of_letters_and_digits() -> None:
    assert exact_tokens("ＡＢＣ（福州）贸易") == ["abc", "福", "州", "贸", "易"]
    assert exact_tokens("榕市监处罚〔2026〕45012号") == ["榕", "市", "监", "处", "罚", "2026", "45012", "号"]
    assert exact_tokens("JY13501024501２") == ["jy135010245012"]
    assert exact_tokens("𠀾记小吃 · 店") == [
        "𠀾",
        "记",
        "小",
        "吃",
        "店",
    ]  # beyond the BMP, punctuation dropped


def test_exact_sequence_keeps_texts_apart() -> None:
    value = exact_sequence(["陈长航", "", "PW123"])
    coded = [exact_code(word) for word in ("陈长", "长航", "航", "pw123")]
    assert value == " ".join([*coded[:3], EXACT_BREAK, coded[3]])
    assert coded[0] == "ψ096480957f" and coded[3] == "ωpw123"
    assert len({exact_code(w) for w in ("中", "04e2d", "𠀾", "中国")}) == 4
    assert exact_tokens(EXACT_BREAK) == []  # not a word of any phrase


def test_exact_words_pair_each_character_with_the_next() -> None:
    tokens = exact_tokens("榕市监处罚〔2026〕45012号")
    assert exact_words(tokens) == ["榕市", "市监", "监处", "处罚", "罚", "2026", "45012", "号"]
    assert exact_phrase(exact_tokens("监处罚")) == ["监处", "处罚"]
    assert exact_phrase(exact_tokens("45012号")) == ["45012"]
    assert exact_phrase(exact_tokens("金")) == []


def test_a_phrase_matches_where_the_text_contains_the_query() -> None:
    # Pagefind's phrase match: the query's words at consecutive positions among the record's.  For
    # every part of a name or number typed (whole runs of letters and digits), it must match.
    for text in NAMES:
        words = exact_words(exact_tokens(text))
        tokens = exact_tokens(text)
        for start in range(len(tokens)):
            for stop in range(start + 1, len(tokens) + 1):
                phrase = exact_phrase(tokens[start:stop])
                assert words[start : start + len(phrase)] == phrase, (text, tokens[start:stop])


def test_a_query_is_routed_by_its_longest_windows_of_tokens() -> None:
    # A document number routes by its serial together with its department and year.
    assert query_route_keys("处罚〔2026〕45012号") == ["处罚 2026 45012", "罚 2026 45012 号"]
    assert query_route_keys("榕环处罚〔2026〕554318号") == ["榕环处罚 2026 554318", "环处罚 2026 554318 号"]
    assert query_route_keys("长乐区林记汽车") == ["长乐区林记汽", "乐区林记汽车"]
    assert query_route_keys("林记汽车修") == ["林记汽车", "记汽车修"]
    assert query_route_keys("林记汽") == ["林记汽"]
    assert query_route_keys("") == query_route_keys("〔〕") == []
    assert query_route_keys("45012") == ["45012"]
    assert query_route_keys("金") == []
    assert short_route_keys("林记汽车") == ["林记", "记汽", "汽车"]
    assert short_route_keys("罚〔2026〕45012号") == short_route_keys("45012") == short_route_keys("金") == []
    assert record_route_keys(["处罚〔2026〕"]) == {"处罚", "处罚 2026", "罚 2026", "2026"}
    assert record_route_keys(["林记汽车"]) == {"林记", "记汽", "汽车", "林记汽", "记汽车", "林记汽车"}


def _shards(table_files: tuple[bytes, ...]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for file in table_files:
        merged.update(json.loads(file))
    return merged


def test_every_substring_routes_to_its_bundle() -> None:
    # Completeness: whatever part of a name or number is typed, its keys are the record's keys, and
    # the table sends each of them to the record's bundle; its short keys filed under its 区县 too.
    rng = random.Random(5)
    bundles = [[RoutedRecord((name, f"{name}{i}"), district=f"区{i % 3}")] for i, name in enumerate(NAMES)]
    table = route_table(bundles)
    shards = [json.loads(file) for file in table.files]

    def routed(key: str, number: int) -> bool:
        return bool(int(shards[shard_of(key, table.shards)][key].split(",")[0], 16) >> number & 1)

    for number, records in enumerate(bundles):
        for record in records:
            owned = record_route_keys(record.texts)
            for text in record.texts:
                tokens = exact_tokens(text)
                for _ in range(20):
                    start = rng.randrange(len(tokens))
                    part = tokens[start : rng.randrange(start + 1, len(tokens) + 1)]
                    query = "".join(t if is_han(t) else f" {t} " for t in part)
                    for key in query_route_keys(query):
                        assert key in owned and routed(key, number), (query, key)
                    for key in short_route_keys(query):
                        filed = district_key(record.district, key)
                        assert key in owned and routed(filed, number), (query, filed)


def test_masks_follow_the_bundle_order() -> None:
    table = route_table(
        [[RoutedRecord(("福州鑫源",))], [RoutedRecord(("鑫源恒泰",))], [RoutedRecord(("恒泰",))]]
    )
    merged = _shards(table.files)
    assert {key: mask for key, mask in merged.items() if len(key) == 2} == {
        "福州": "1",
        "州鑫": "1",
        "鑫源": "3",
        "源恒": "2",
        "恒泰": "6",
    }
    assert merged["鑫源恒泰"] == "2" and merged["鑫源恒"] == "2" and merged["福州鑫"] == "1"


def test_a_key_says_where_its_records_fill_a_page() -> None:
    # 食品 is in 4 records of each bundle: a page of them is reached in the third bundle (number 2).
    # 鼓楼区's share is 1 a bundle: never a page.  A key with fewer records says nothing.
    bundles = [
        [RoutedRecord((f"福州{c}食品",), district="鼓楼区" if c == "甲" else "台江区") for c in "甲乙丙丁"]
        for _ in range(4)
    ]
    assert PAGE == 10
    merged = _shards(route_table(bundles).files)
    assert merged["食品"] == "f,2"
    assert merged[district_key("台江区", "食品")] == "f,3"
    assert merged[district_key("鼓楼区", "食品")] == "f"
    assert merged["甲食品"] == "f"
    assert district_key("鼓楼区", "甲食品") not in merged  # only short keys are filed by district


def test_shards_stay_small_and_the_table_is_deterministic() -> None:
    names = [f"{a}{b}{c}" for a in "福州鼓楼仓山晋安" for b in "鑫源恒泰江永" for c in "食品科技环保"]
    bundles = [[RoutedRecord((name,), district=name[:2]) for name in names[i::4]] for i in range(4)]
    table = route_table(bundles)
    keys = sum(len(json.loads(file)) for file in table.files)
    assert table.shards & (table.shards - 1) == 0 and table.shards * KEYS_PER_SHARD >= keys
    assert table.shards < 2 * keys / KEYS_PER_SHARD + 2
    assert route_table(bundles) == table
    assert route_table([list(reversed(b)) for b in bundles]) == table
    for file in table.files:  # each shard in key order, whatever order the keys were met in
        assert list(json.loads(file)) == sorted(json.loads(file))


def _table_by_definition(counts: list[dict[str, int]]) -> dict[str, str]:
    """What ``RouteTable`` says a value is, computed a key and bundle at a time."""
    table: dict[str, tuple[int, int, int]] = {}
    for place, bundle in enumerate(counts):
        for key, held in bundle.items():
            mask, total, reach = table.get(key, (0, 0, -1))
            total += held
            table[key] = (mask | 1 << place, total, place if reach < 0 and total >= PAGE else reach)
    return {
        key: f"{mask:x},{reach}" if reach >= 0 else f"{mask:x}" for key, (mask, _, reach) in table.items()
    }


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from([f"键{i}" for i in range(40)]), st.integers(1, 12), max_size=10),
        max_size=150,  # masks of more than one 64-bit word, and bundles with no key
    )
)
def test_the_table_holds_each_key_s_bundles_and_reach_as_defined(counts: list[dict[str, int]]) -> None:
    _check_table(counts)


@pytest.mark.parametrize("bundles", [63, 64, 65, 200])
def test_masks_of_many_bundles_are_whole(bundles: int) -> None:
    rng = random.Random(bundles)
    keys = [f"键{i}" for i in range(30)]
    _check_table(
        [{key: rng.randint(1, 4) for key in rng.sample(keys, rng.randint(0, 5))} for _ in range(bundles)]
    )


def _check_table(counts: list[dict[str, int]]) -> None:
    table = route_table_of_counts(counts)
    assert _shards(table.files) == _table_by_definition(counts)
    for number, file in enumerate(table.files):
        assert all(shard_of(key, table.shards) == number for key in json.loads(file))


@pytest.mark.parametrize(("key", "value"), [("", 0), ("a", 0xE8B7BE43), ("123456789", 0xCBF43926)])
def test_shard_of_is_crc_32(key: str, value: int) -> None:
    # CRC-32's published check value ("123456789") and two more; search.js shardOf computes the
    # same (the browser tests of routing check the two agree, end to end).
    assert shard_of(key, 1 << 32) == value
    assert shard_of(key, 64) == value % 64
