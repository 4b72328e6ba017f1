import livebase


def test_every_name_in_all_is_exported():
    for name in livebase.__all__:
        assert hasattr(livebase, name), name


def test_the_documented_entry_points_are_public():
    for name in [
        "define_schema",
        "define_table",
        "v",
        "query",
        "mutation",
        "action",
        "internal_query",
        "internal_mutation",
        "internal_action",
        "ConvexError",
    ]:
        assert name in livebase.__all__
