from indexer.text.normal_form import to_index_form
from indexer.text.tokenizer import ChineseTokenizer, extract_user_terms


def test_index_form_folds_width_and_traditional_characters():
    assert to_index_form("養老金　ＡＢＣ１２３，") == "养老金 abc123,"


def test_traditional_query_finds_simplified_tokens():
    tok = ChineseTokenizer()
    assert "养老金" in tok("養老金")


def test_document_number_is_one_token_even_in_full_width():
    tok = ChineseTokenizer()
    assert "青政办〔2017〕13号" in tok("按照青政办〔2017〕13号文件")
    assert "青政办〔2017〕13号" in tok("青政辦〔２０１７〕１３號")


def test_stopwords_and_punctuation_are_dropped():
    tokens = ChineseTokenizer()("请问农村老人的基础养老金今年涨多少？")
    assert "的" not in tokens and "多少" not in tokens and "？" not in tokens and "?" not in tokens
    assert "养老金" in tokens and "农村" in tokens


def test_user_terms_from_the_corpus_stay_whole_and_keep_their_parts():
    text = "由省人力资源社会保障厅牵头，在“信用青海”网站公示。省人力资源社会保障厅配合。"
    terms = extract_user_terms([text])
    assert "省人力资源社会保障厅" in terms and "信用青海" in terms
    tokens = ChineseTokenizer(terms)(text)
    assert "省人力资源社会保障厅" in tokens and "信用青海" in tokens
    assert "人力" in tokens  # search mode still emits the parts


def test_pos_taggers_share_one_word_tag_table_and_tag_as_jieba_does():
    import jieba.posseg

    from indexer.text.tokenizer import pos_tagger

    text = "农村低保标准每人每年提高到多少元？省人力资源社会保障厅负责落实就业补贴。"
    reference = [(p.word, p.flag) for p in jieba.posseg.POSTokenizer().cut(text)]  # its own table and dictionary
    shared = pos_tagger()
    assert [(p.word, p.flag) for p in shared.cut(text)] == reference
    corpus = ChineseTokenizer(["省人力资源社会保障厅"])
    assert ("省人力资源社会保障厅", "x") in corpus.tagged(text)  # the corpus dictionary, untagged words as x
    assert shared.word_tag_tab is jieba.posseg.dt.word_tag_tab is corpus._tagger.word_tag_tab
