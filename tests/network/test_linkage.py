"""Entity resolution on inline party records."""

from __future__ import annotations

import polars as pl

from tradeguard.network import address_key, resolve_parties


def records(rows: list[tuple[str, str, str | None, str, str | None]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema={c: pl.String for c in (
        "kind", "name", "address", "country", "identifier")}, orient="row")
    return frame.with_columns(
        pl.concat_str([pl.col(c).fill_null("") for c in frame.columns], separator="|")
        .alias("record_id"),
        pl.col("kind").replace_strict({"importer": "domestic", "consignee": "domestic"},
                               default="foreign").alias("family"))


def cluster_of(resolved: pl.DataFrame, name: str) -> str:
    return str(resolved.filter(pl.col("name") == name)["cluster"][0])


def test_address_key_reads_spellings_alike() -> None:
    frame = pl.DataFrame({"address": ["12 MAIN ST APT 4, Austin, TX",
                                      "12 Main Street #4 Austin TX",
                                      "14 MAIN ST APT 4, Austin, TX"]})
    keys = frame.select(address_key(pl.col("address"))).to_series()
    assert keys[0] == keys[1] and keys[0] != keys[2]


def test_importers_sharing_ein_root_and_address_form_one_cluster() -> None:
    addr = "100 Harbor Blvd, Dallas, TX 75201"
    resolved, links = resolve_parties(records([
        ("importer", "Sunrise Trading LLC", addr, "US", "12-345678900"),
        ("importer", "Sunrise Imports Inc.", addr, "US", "12-345678901"),
        ("importer", "SUNRISE WHOLESALE", addr, "US", "12-345678902"),
        ("importer", "Pacific Apparel Inc.", "9 Gateway Dr, Reno, NV 89501", "US",
         "98-765432100"),
        ("importer", "Pacific Apparel Co.", "77 Market St, Miami, FL 33101", "US",
         "55-111222300"),
    ]))
    ring = {cluster_of(resolved, n) for n in ("Sunrise Trading LLC", "Sunrise Imports Inc.",
                                              "SUNRISE WHOLESALE")}
    assert len(ring) == 1
    # alike names but different numbers and addresses: two firms
    assert cluster_of(resolved, "Pacific Apparel Inc.") != cluster_of(resolved,
                                                                      "Pacific Apparel Co.")
    assert (links["probability"] >= 0.9).all()


def test_factory_under_several_mids_and_legal_forms_is_one_party() -> None:
    resolved, _ = resolve_parties(records([
        ("manufacturer", "Ningbo Hengda Footwear Co., Ltd.",
         "No. 120 Jiangnan Road, Ningbo, Zhejiang, China", "CN", "CNNINHEN120NIN"),
        ("manufacturer", "Ningbo Hengda Footwear Company Limited",
         "No. 122 Jiangnan Road, Ningbo, Zhejiang, China", "CN", "CNNINHEN122NIN"),
        ("manufacturer", "Ningbo Hengda Footwear Factory",
         "No. 124 Jiangnan Road, Ningbo, Zhejiang, China", "CN", "CNNINHEN124NIN"),
        ("manufacturer", "Ningbo Xinfeng Plastics Co., Ltd.",
         "No. 9 Beilun Road, Ningbo, Zhejiang, China", "CN", "CNNINXIN9NIN"),
    ]))
    factory = {cluster_of(resolved, n) for n in (
        "Ningbo Hengda Footwear Co., Ltd.", "Ningbo Hengda Footwear Company Limited",
        "Ningbo Hengda Footwear Factory")}
    assert len(factory) == 1
    assert cluster_of(resolved, "Ningbo Xinfeng Plastics Co., Ltd.") not in factory


def test_links_carry_their_comparison_levels_and_the_model_version() -> None:
    addr = "100 Harbor Blvd, Dallas, TX 75201"
    resolved, links = resolve_parties(records([
        ("importer", "Sunrise Trading LLC", addr, "US", "12-345678900"),
        ("importer", "Sunrise Trading L.L.C.", None, "US", "12-345678901"),
    ]))
    assert links.height == 1
    link = links.row(0, named=True)
    assert (link["name_level"], link["identifier_level"]) == ("exact", "same")
    assert link["address_level"] == "missing"
    assert resolved["linkage_version"].str.contains("splink").all()


def test_neighbouring_factories_on_one_road_stay_apart() -> None:
    # An industrial road is home to many factories: the same street under another number,
    # with a MID missing, is not the evidence a respelled address of the same number is.
    # Thirty other Suzhou firms make the city a common name word, as it is in declarations.
    others: list[tuple[str, str, str | None, str, str | None]] = [
        ("manufacturer", f"Suzhou {w}tech Co., Ltd.", f"No. {i} Renmin Road, Suzhou, China",
         "CN", f"CNSUZ{w.upper()}{i}SUZ") for i, w in enumerate(
            f"{a}{b}" for a in ("Ka", "Lo", "Mi", "Ne", "Po")
            for b in ("ban", "cor", "dal", "fen", "gor", "hil"))]
    resolved, _ = resolve_parties(records([
        *others,
        ("manufacturer", "Suzhou Fengzhong Vehicle Co., Ltd.",
         "No. 1731 Xingye Road, Suzhou, Jiangsu, China", "CN", "CNSUZFEN1731SUZ"),
        ("manufacturer", "Suzhou Yongrun Electronics Co., Ltd.",
         "No. 2381 Xingye Road, Suzhou, Jiangsu, China", "CN", None),
        ("manufacturer", "Suzhou Yongrun Electronics Co Ltd",
         "No. 2381 Xingye Rd., Suzhou, Jiangsu, China", "CN", "CNSUZYON2381SUZ"),
    ]))
    assert cluster_of(resolved, "Suzhou Yongrun Electronics Co., Ltd.") == cluster_of(
        resolved, "Suzhou Yongrun Electronics Co Ltd")
    assert cluster_of(resolved, "Suzhou Fengzhong Vehicle Co., Ltd.") != cluster_of(
        resolved, "Suzhou Yongrun Electronics Co., Ltd.")


def test_a_brand_word_shared_across_cities_is_not_one_firm() -> None:
    resolved, _ = resolve_parties(records([
        ("seller", "Qingdao Xinheng Electrical Co., Ltd.", None, "CN", None),
        ("seller", "Shanghai Xinheng Electric Co., Ltd.", None, "CN", None),
        ("seller", "Richway Trading Limited", None, "HK", None),
        ("seller", "Richway International (HK) Ltd", None, "HK", None),
    ]))
    assert cluster_of(resolved, "Qingdao Xinheng Electrical Co., Ltd.") != cluster_of(
        resolved, "Shanghai Xinheng Electric Co., Ltd.")
    assert cluster_of(resolved, "Richway Trading Limited") == cluster_of(
        resolved, "Richway International (HK) Ltd")
