# Posete službenika na šalteru: spisak na početnoj stranici i zapis završene posete.
visit-list-title = Ваше посете
visit-list-action = Радња
visit-citizen = Услужена особа
visit-started = Почела
visit-ended = Завршена
visit-open = У току
visit-continue = Назад на посету
visit-record-link = Детаљи
visit-ended-title = Запис посете
visit-back-to-start = Назад на услугу уз помоћ
visit-receipts = Признанице
visit-no-receipts = Током ове посете није примљена ниједна уплата.
visit-receipt-reprint = Прикажи и поново одштампај
visit-ended-privacy = Сандуче ове особе се овде не приказује: могло се видети само док је особа била на шалтеру.
