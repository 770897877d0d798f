//! Macau public holidays 2020–2027 (statutory and government holidays), the seed of the
//! holiday table; officials edit the table itself (substitute days included).

pub const MACAU_2020_2027: &[(&str, &str)] = &[
    (
        "2020-01-01",
        "元旦 / Fraternidade Universal / New Year's Day",
    ),
    (
        "2020-01-25",
        "農曆正月初一 / Ano Novo Lunar / Lunar New Year",
    ),
    (
        "2020-01-26",
        "農曆正月初二 / 2.º dia do Ano Novo Lunar / Lunar New Year (2nd day)",
    ),
    (
        "2020-01-27",
        "農曆正月初三 / 3.º dia do Ano Novo Lunar / Lunar New Year (3rd day)",
    ),
    ("2020-04-04", "清明節 / Cheng Ming / Ching Ming Festival"),
    ("2020-04-10", "耶穌受難日 / Sexta-feira Santa / Good Friday"),
    (
        "2020-04-11",
        "復活節前日 / Sábado de Aleluia / Holy Saturday",
    ),
    ("2020-04-30", "佛誕節 / Dia do Buda / Buddha's Birthday"),
    ("2020-05-01", "勞動節 / Dia do Trabalhador / Labour Day"),
    (
        "2020-06-25",
        "端午節 / Festividade do Barco-Dragão / Dragon Boat Festival",
    ),
    ("2020-10-01", "國慶日 / Dia Nacional da RPC / National Day"),
    (
        "2020-10-02",
        "中秋節翌日 / Dia seguinte ao Chong Chao / Day after Mid-Autumn Festival",
    ),
    ("2020-10-25", "重陽節 / Chong Yeong / Chung Yeung Festival"),
    ("2020-11-02", "追思節 / Dia de Finados / All Souls' Day"),
    (
        "2020-12-08",
        "聖母無原罪瞻禮 / Imaculada Conceição / Immaculate Conception",
    ),
    (
        "2020-12-20",
        "澳門特別行政區成立紀念日 / Dia da RAEM / Macao SAR Establishment Day",
    ),
    (
        "2020-12-21",
        "冬至 / Solstício de Inverno / Winter Solstice",
    ),
    (
        "2020-12-24",
        "聖誕節前夕 / Véspera de Natal / Christmas Eve",
    ),
    ("2020-12-25", "聖誕節 / Natal / Christmas Day"),
    (
        "2021-01-01",
        "元旦 / Fraternidade Universal / New Year's Day",
    ),
    (
        "2021-02-12",
        "農曆正月初一 / Ano Novo Lunar / Lunar New Year",
    ),
    (
        "2021-02-13",
        "農曆正月初二 / 2.º dia do Ano Novo Lunar / Lunar New Year (2nd day)",
    ),
    (
        "2021-02-14",
        "農曆正月初三 / 3.º dia do Ano Novo Lunar / Lunar New Year (3rd day)",
    ),
    ("2021-04-02", "耶穌受難日 / Sexta-feira Santa / Good Friday"),
    (
        "2021-04-03",
        "復活節前日 / Sábado de Aleluia / Holy Saturday",
    ),
    ("2021-04-04", "清明節 / Cheng Ming / Ching Ming Festival"),
    ("2021-05-01", "勞動節 / Dia do Trabalhador / Labour Day"),
    ("2021-05-19", "佛誕節 / Dia do Buda / Buddha's Birthday"),
    (
        "2021-06-14",
        "端午節 / Festividade do Barco-Dragão / Dragon Boat Festival",
    ),
    (
        "2021-09-22",
        "中秋節翌日 / Dia seguinte ao Chong Chao / Day after Mid-Autumn Festival",
    ),
    ("2021-10-01", "國慶日 / Dia Nacional da RPC / National Day"),
    (
        "2021-10-02",
        "國慶日翌日 / Dia seguinte ao Dia Nacional / Day after National Day",
    ),
    ("2021-10-14", "重陽節 / Chong Yeong / Chung Yeung Festival"),
    ("2021-11-02", "追思節 / Dia de Finados / All Souls' Day"),
    (
        "2021-12-08",
        "聖母無原罪瞻禮 / Imaculada Conceição / Immaculate Conception",
    ),
    (
        "2021-12-20",
        "澳門特別行政區成立紀念日 / Dia da RAEM / Macao SAR Establishment Day",
    ),
    (
        "2021-12-21",
        "冬至 / Solstício de Inverno / Winter Solstice",
    ),
    (
        "2021-12-24",
        "聖誕節前夕 / Véspera de Natal / Christmas Eve",
    ),
    ("2021-12-25", "聖誕節 / Natal / Christmas Day"),
    (
        "2022-01-01",
        "元旦 / Fraternidade Universal / New Year's Day",
    ),
    (
        "2022-02-01",
        "農曆正月初一 / Ano Novo Lunar / Lunar New Year",
    ),
    (
        "2022-02-02",
        "農曆正月初二 / 2.º dia do Ano Novo Lunar / Lunar New Year (2nd day)",
    ),
    (
        "2022-02-03",
        "農曆正月初三 / 3.º dia do Ano Novo Lunar / Lunar New Year (3rd day)",
    ),
    ("2022-04-05", "清明節 / Cheng Ming / Ching Ming Festival"),
    ("2022-04-15", "耶穌受難日 / Sexta-feira Santa / Good Friday"),
    (
        "2022-04-16",
        "復活節前日 / Sábado de Aleluia / Holy Saturday",
    ),
    ("2022-05-01", "勞動節 / Dia do Trabalhador / Labour Day"),
    ("2022-05-08", "佛誕節 / Dia do Buda / Buddha's Birthday"),
    (
        "2022-06-03",
        "端午節 / Festividade do Barco-Dragão / Dragon Boat Festival",
    ),
    (
        "2022-09-11",
        "中秋節翌日 / Dia seguinte ao Chong Chao / Day after Mid-Autumn Festival",
    ),
    ("2022-10-01", "國慶日 / Dia Nacional da RPC / National Day"),
    (
        "2022-10-02",
        "國慶日翌日 / Dia seguinte ao Dia Nacional / Day after National Day",
    ),
    ("2022-10-04", "重陽節 / Chong Yeong / Chung Yeung Festival"),
    ("2022-11-02", "追思節 / Dia de Finados / All Souls' Day"),
    (
        "2022-12-08",
        "聖母無原罪瞻禮 / Imaculada Conceição / Immaculate Conception",
    ),
    (
        "2022-12-20",
        "澳門特別行政區成立紀念日 / Dia da RAEM / Macao SAR Establishment Day",
    ),
    (
        "2022-12-22",
        "冬至 / Solstício de Inverno / Winter Solstice",
    ),
    (
        "2022-12-24",
        "聖誕節前夕 / Véspera de Natal / Christmas Eve",
    ),
    ("2022-12-25", "聖誕節 / Natal / Christmas Day"),
    (
        "2023-01-01",
        "元旦 / Fraternidade Universal / New Year's Day",
    ),
    (
        "2023-01-22",
        "農曆正月初一 / Ano Novo Lunar / Lunar New Year",
    ),
    (
        "2023-01-23",
        "農曆正月初二 / 2.º dia do Ano Novo Lunar / Lunar New Year (2nd day)",
    ),
    (
        "2023-01-24",
        "農曆正月初三 / 3.º dia do Ano Novo Lunar / Lunar New Year (3rd day)",
    ),
    ("2023-04-05", "清明節 / Cheng Ming / Ching Ming Festival"),
    ("2023-04-07", "耶穌受難日 / Sexta-feira Santa / Good Friday"),
    (
        "2023-04-08",
        "復活節前日 / Sábado de Aleluia / Holy Saturday",
    ),
    ("2023-05-01", "勞動節 / Dia do Trabalhador / Labour Day"),
    ("2023-05-26", "佛誕節 / Dia do Buda / Buddha's Birthday"),
    (
        "2023-06-22",
        "端午節 / Festividade do Barco-Dragão / Dragon Boat Festival",
    ),
    (
        "2023-09-30",
        "中秋節翌日 / Dia seguinte ao Chong Chao / Day after Mid-Autumn Festival",
    ),
    ("2023-10-01", "國慶日 / Dia Nacional da RPC / National Day"),
    (
        "2023-10-02",
        "國慶日翌日 / Dia seguinte ao Dia Nacional / Day after National Day",
    ),
    ("2023-10-23", "重陽節 / Chong Yeong / Chung Yeung Festival"),
    ("2023-11-02", "追思節 / Dia de Finados / All Souls' Day"),
    (
        "2023-12-08",
        "聖母無原罪瞻禮 / Imaculada Conceição / Immaculate Conception",
    ),
    (
        "2023-12-20",
        "澳門特別行政區成立紀念日 / Dia da RAEM / Macao SAR Establishment Day",
    ),
    (
        "2023-12-22",
        "冬至 / Solstício de Inverno / Winter Solstice",
    ),
    (
        "2023-12-24",
        "聖誕節前夕 / Véspera de Natal / Christmas Eve",
    ),
    ("2023-12-25", "聖誕節 / Natal / Christmas Day"),
    (
        "2024-01-01",
        "元旦 / Fraternidade Universal / New Year's Day",
    ),
    (
        "2024-02-10",
        "農曆正月初一 / Ano Novo Lunar / Lunar New Year",
    ),
    (
        "2024-02-11",
        "農曆正月初二 / 2.º dia do Ano Novo Lunar / Lunar New Year (2nd day)",
    ),
    (
        "2024-02-12",
        "農曆正月初三 / 3.º dia do Ano Novo Lunar / Lunar New Year (3rd day)",
    ),
    ("2024-03-29", "耶穌受難日 / Sexta-feira Santa / Good Friday"),
    (
        "2024-03-30",
        "復活節前日 / Sábado de Aleluia / Holy Saturday",
    ),
    ("2024-04-04", "清明節 / Cheng Ming / Ching Ming Festival"),
    ("2024-05-01", "勞動節 / Dia do Trabalhador / Labour Day"),
    ("2024-05-15", "佛誕節 / Dia do Buda / Buddha's Birthday"),
    (
        "2024-06-10",
        "端午節 / Festividade do Barco-Dragão / Dragon Boat Festival",
    ),
    (
        "2024-09-18",
        "中秋節翌日 / Dia seguinte ao Chong Chao / Day after Mid-Autumn Festival",
    ),
    ("2024-10-01", "國慶日 / Dia Nacional da RPC / National Day"),
    (
        "2024-10-02",
        "國慶日翌日 / Dia seguinte ao Dia Nacional / Day after National Day",
    ),
    ("2024-10-11", "重陽節 / Chong Yeong / Chung Yeung Festival"),
    ("2024-11-02", "追思節 / Dia de Finados / All Souls' Day"),
    (
        "2024-12-08",
        "聖母無原罪瞻禮 / Imaculada Conceição / Immaculate Conception",
    ),
    (
        "2024-12-20",
        "澳門特別行政區成立紀念日 / Dia da RAEM / Macao SAR Establishment Day",
    ),
    (
        "2024-12-21",
        "冬至 / Solstício de Inverno / Winter Solstice",
    ),
    (
        "2024-12-24",
        "聖誕節前夕 / Véspera de Natal / Christmas Eve",
    ),
    ("2024-12-25", "聖誕節 / Natal / Christmas Day"),
    (
        "2025-01-01",
        "元旦 / Fraternidade Universal / New Year's Day",
    ),
    (
        "2025-01-29",
        "農曆正月初一 / Ano Novo Lunar / Lunar New Year",
    ),
    (
        "2025-01-30",
        "農曆正月初二 / 2.º dia do Ano Novo Lunar / Lunar New Year (2nd day)",
    ),
    (
        "2025-01-31",
        "農曆正月初三 / 3.º dia do Ano Novo Lunar / Lunar New Year (3rd day)",
    ),
    ("2025-04-04", "清明節 / Cheng Ming / Ching Ming Festival"),
    ("2025-04-18", "耶穌受難日 / Sexta-feira Santa / Good Friday"),
    (
        "2025-04-19",
        "復活節前日 / Sábado de Aleluia / Holy Saturday",
    ),
    ("2025-05-01", "勞動節 / Dia do Trabalhador / Labour Day"),
    ("2025-05-05", "佛誕節 / Dia do Buda / Buddha's Birthday"),
    (
        "2025-05-31",
        "端午節 / Festividade do Barco-Dragão / Dragon Boat Festival",
    ),
    ("2025-10-01", "國慶日 / Dia Nacional da RPC / National Day"),
    (
        "2025-10-02",
        "國慶日翌日 / Dia seguinte ao Dia Nacional / Day after National Day",
    ),
    (
        "2025-10-07",
        "中秋節翌日 / Dia seguinte ao Chong Chao / Day after Mid-Autumn Festival",
    ),
    ("2025-10-29", "重陽節 / Chong Yeong / Chung Yeung Festival"),
    ("2025-11-02", "追思節 / Dia de Finados / All Souls' Day"),
    (
        "2025-12-08",
        "聖母無原罪瞻禮 / Imaculada Conceição / Immaculate Conception",
    ),
    (
        "2025-12-20",
        "澳門特別行政區成立紀念日 / Dia da RAEM / Macao SAR Establishment Day",
    ),
    (
        "2025-12-21",
        "冬至 / Solstício de Inverno / Winter Solstice",
    ),
    (
        "2025-12-24",
        "聖誕節前夕 / Véspera de Natal / Christmas Eve",
    ),
    ("2025-12-25", "聖誕節 / Natal / Christmas Day"),
    (
        "2026-01-01",
        "元旦 / Fraternidade Universal / New Year's Day",
    ),
    (
        "2026-02-17",
        "農曆正月初一 / Ano Novo Lunar / Lunar New Year",
    ),
    (
        "2026-02-18",
        "農曆正月初二 / 2.º dia do Ano Novo Lunar / Lunar New Year (2nd day)",
    ),
    (
        "2026-02-19",
        "農曆正月初三 / 3.º dia do Ano Novo Lunar / Lunar New Year (3rd day)",
    ),
    ("2026-04-03", "耶穌受難日 / Sexta-feira Santa / Good Friday"),
    (
        "2026-04-04",
        "復活節前日 / Sábado de Aleluia / Holy Saturday",
    ),
    ("2026-04-05", "清明節 / Cheng Ming / Ching Ming Festival"),
    ("2026-05-01", "勞動節 / Dia do Trabalhador / Labour Day"),
    ("2026-05-24", "佛誕節 / Dia do Buda / Buddha's Birthday"),
    (
        "2026-06-19",
        "端午節 / Festividade do Barco-Dragão / Dragon Boat Festival",
    ),
    (
        "2026-09-26",
        "中秋節翌日 / Dia seguinte ao Chong Chao / Day after Mid-Autumn Festival",
    ),
    ("2026-10-01", "國慶日 / Dia Nacional da RPC / National Day"),
    (
        "2026-10-02",
        "國慶日翌日 / Dia seguinte ao Dia Nacional / Day after National Day",
    ),
    ("2026-10-18", "重陽節 / Chong Yeong / Chung Yeung Festival"),
    ("2026-11-02", "追思節 / Dia de Finados / All Souls' Day"),
    (
        "2026-12-08",
        "聖母無原罪瞻禮 / Imaculada Conceição / Immaculate Conception",
    ),
    (
        "2026-12-20",
        "澳門特別行政區成立紀念日 / Dia da RAEM / Macao SAR Establishment Day",
    ),
    (
        "2026-12-22",
        "冬至 / Solstício de Inverno / Winter Solstice",
    ),
    (
        "2026-12-24",
        "聖誕節前夕 / Véspera de Natal / Christmas Eve",
    ),
    ("2026-12-25", "聖誕節 / Natal / Christmas Day"),
    (
        "2027-01-01",
        "元旦 / Fraternidade Universal / New Year's Day",
    ),
    (
        "2027-02-06",
        "農曆正月初一 / Ano Novo Lunar / Lunar New Year",
    ),
    (
        "2027-02-07",
        "農曆正月初二 / 2.º dia do Ano Novo Lunar / Lunar New Year (2nd day)",
    ),
    (
        "2027-02-08",
        "農曆正月初三 / 3.º dia do Ano Novo Lunar / Lunar New Year (3rd day)",
    ),
    ("2027-03-26", "耶穌受難日 / Sexta-feira Santa / Good Friday"),
    (
        "2027-03-27",
        "復活節前日 / Sábado de Aleluia / Holy Saturday",
    ),
    ("2027-04-05", "清明節 / Cheng Ming / Ching Ming Festival"),
    ("2027-05-01", "勞動節 / Dia do Trabalhador / Labour Day"),
    ("2027-05-13", "佛誕節 / Dia do Buda / Buddha's Birthday"),
    (
        "2027-06-09",
        "端午節 / Festividade do Barco-Dragão / Dragon Boat Festival",
    ),
    (
        "2027-09-16",
        "中秋節翌日 / Dia seguinte ao Chong Chao / Day after Mid-Autumn Festival",
    ),
    ("2027-10-01", "國慶日 / Dia Nacional da RPC / National Day"),
    (
        "2027-10-02",
        "國慶日翌日 / Dia seguinte ao Dia Nacional / Day after National Day",
    ),
    ("2027-10-08", "重陽節 / Chong Yeong / Chung Yeung Festival"),
    ("2027-11-02", "追思節 / Dia de Finados / All Souls' Day"),
    (
        "2027-12-08",
        "聖母無原罪瞻禮 / Imaculada Conceição / Immaculate Conception",
    ),
    (
        "2027-12-20",
        "澳門特別行政區成立紀念日 / Dia da RAEM / Macao SAR Establishment Day",
    ),
    (
        "2027-12-22",
        "冬至 / Solstício de Inverno / Winter Solstice",
    ),
    (
        "2027-12-24",
        "聖誕節前夕 / Véspera de Natal / Christmas Eve",
    ),
    ("2027-12-25", "聖誕節 / Natal / Christmas Day"),
];
