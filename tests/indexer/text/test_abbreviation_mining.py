from indexer.retrieval.bm25_index import BM25Index, BM25Params
from indexer.text.abbreviation_mining import defined_pairs, pair_term, split_pair
from indexer.text.tokenizer import ChineseTokenizer, dictionary_terms, extract_user_terms

SAFETY = "青海省安全生产委员会（以下简称省安委会）负责全省安全生产工作。省安委会每季度召开一次全体会议。"
STABILITY = "各地要切实做好维护社会稳定工作。维稳工作由各级党委统筹。"
REFORM = "国家发展和改革委员会会同有关部门制定实施细则。发改委负责综合协调。"


def _pairs(texts):
    return {p for t in extract_user_terms(texts) if (p := split_pair(t))}


def test_a_definition_pairs_the_short_form_with_the_shortest_full_form_before_it():
    assert defined_pairs(SAFETY) == {"省安委会": "省安全生产委员会"}
    assert ("省安委会", "省安全生产委员会") in _pairs([SAFETY])


def test_a_contraction_used_beside_its_full_form_in_one_document_pairs_with_it():
    pairs = _pairs([STABILITY, REFORM])
    assert ("维稳", "维护社会稳定") in pairs  # a short form jieba does not know, a full form it cuts apart
    assert ("发改委", "发展和改革委员会") in pairs  # one jieba knows as an abbreviation


def test_common_words_compounds_and_numbered_words_never_pair():
    text = ("保护人民群众生命财产安全，抓好安全生产。依照第四十条和第四十九条另有规定的除外。"
            "编制城市总体规划，城市规划由市政府批准。")
    shorts = {short for short, _ in _pairs([text])}
    assert not shorts & {"生产", "第四十条", "四十条", "城市规划"}, shorts


def test_only_questions_are_expanded_and_only_by_short_forms_with_one_meaning_in_the_corpus():
    terms = extract_user_terms([STABILITY])
    tokenizer = ChineseTokenizer([*terms, pair_term("农牧", "农村牧区"), pair_term("农牧", "农林牧业")])
    assert "稳定" in tokenizer.expansion("维稳谁统筹") and "稳定" not in tokenizer("维稳谁统筹")
    assert not {"农村", "牧区", "农林"} & set(tokenizer.expansion("农牧经济怎么发展"))
    inside = ChineseTokenizer([pair_term("权人", "权利人为")])
    assert "权利" not in inside.expansion("债权人可以怎么办") and "权利" in inside.expansion("权人可以怎么办")


def test_a_pair_needs_both_forms_in_the_same_document():
    assert not _pairs(STABILITY.split("。"))


def test_mined_pairs_expand_queries_so_the_short_form_finds_the_full_one():
    terms = extract_user_terms([SAFETY, STABILITY, REFORM])
    words = dictionary_terms(terms)
    assert "省安委会" not in words and pair_term("省安委会", "省安全生产委员会") not in words
    passages = ["省安全生产委员会负责全省危险化学品综合治理。", "省交通运输厅负责道路运输管理。",
                "省教育厅负责学校管理。", "省卫生健康委负责医疗机构管理。"]

    def scores(tokenizer):
        bm25 = BM25Index.build([tokenizer(p) for p in passages], BM25Params())
        return bm25.scores([*tokenizer("省安委会管什么"), *tokenizer.expansion("省安委会管什么")])

    mined = scores(ChineseTokenizer(terms))
    assert mined[0] > 0 and mined[0] > mined[1:].max()
    assert scores(ChineseTokenizer(t for t in terms if not split_pair(t)))[0] == 0


def test_a_provincial_corpus_maps_the_home_forms_to_its_province_and_a_national_one_does_not():
    provincial = ["青海省人民政府关于加快通用航空业发展的意见", "青海省民政厅关于提高低保标准的通知",
                  "我省农村低保标准提高"]
    tokens = ChineseTokenizer(extract_user_terms(provincial, provincial)).expansion("咱们省对5G网络有什么安排？")
    assert "青海省" in tokens and "我省" in tokens
    national = [f"第{i}条 国务院有关部门依照本法规定履行职责。" for i in range(20)] + ["香港特别行政区依照基本法办理。"]
    assert not any(short in {"咱们省", "我省", "本省"} for t in extract_user_terms(national, national)
                   if (pair := split_pair(t)) for short in pair[:1])
    assert not ChineseTokenizer().expansion("咱们省对5G网络有什么安排？")


def test_occurrences_count_as_str_count_does_even_for_forms_that_overlap_themselves():
    from indexer.text.abbreviation_mining import _occurrences

    text = "哈哈哈哈哈，维稳维稳，维护社会稳定，安委会"
    shorts = ["哈哈", "维稳", "安委会", "不在"]
    assert _occurrences(text, shorts) == {s: text.count(s) for s in shorts if text.count(s)}


def test_mining_time_grows_with_the_document_not_with_its_square():
    """A long document yields thousands of candidate short forms: each must not rescan the whole text or every
    run of words (the first version took 303 s on 1M characters, now ~9 s, most of it jieba)."""
    import random
    import time

    from indexer.text.abbreviation_mining import contraction_pairs

    rng = random.Random(0)
    chars = [chr(0x4E00 + i) for i in range(3000)]  # enough that most short words are new ones

    def cpu_seconds(n_words: int) -> float:
        words = ["".join(rng.choice(chars) for _ in range(rng.choice((1, 2, 2, 3)))) for _ in range(n_words)]
        started = time.process_time()
        contraction_pairs("".join(words), words, {}, {})
        return time.process_time() - started

    small, large = cpu_seconds(20_000), cpu_seconds(80_000)
    assert large < 8 * max(small, 0.01), (small, large)  # 4× the words: ~4× the time, 16× if quadratic
