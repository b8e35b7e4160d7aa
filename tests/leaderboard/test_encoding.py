from leaderboard import encoding


def test_more_points_always_rank_higher_and_points_are_the_score():
    assert encoding.decode_points(1_099_511_627_775.0) == 2**40 - 1
    assert encoding.MAX_POINTS >= 2**40 and float(encoding.MAX_POINTS) == encoding.MAX_POINTS


def test_the_earlier_change_sorts_first_among_equal_points():
    early, late = encoding.member("u1", 7), encoding.member("u2", 8)
    assert early > late  # ZREVRANGE lists equal scores by descending member: the earlier first
    assert encoding.member_user(early) == "u1" and encoding.member_seq(late) == 8
    assert encoding.member("z", 1) > encoding.member("a", 2)  # the tie decides, never the user id


def test_the_legacy_encoding_decodes_for_migration():
    legacy = 500 * 2**31 + (2**31 - 1 - (1_800_000_000 - encoding.LEGACY_EPOCH))
    assert encoding.legacy_points(legacy) == 500
    assert encoding.legacy_reached_at(legacy) == 1_800_000_000


def test_ties_sort_by_change_number_across_digit_boundaries():
    seqs = [1, 2, 31, 32, 33, 1023, 1024, 10**9, 2**40, encoding.TIE_MAX - 1]
    members = [encoding.member("u", seq) for seq in seqs]
    assert members == sorted(members, reverse=True)  # earlier change, larger member
    assert [encoding.member_seq(m) for m in members] == seqs
    assert {len(m) for m in members} == {len("0" * encoding.TIE_WIDTH + ":u")}
