# Wizyty pracownika okienka: lista na stronie startowej i zapis zakończonej wizyty.
visit-list-title = Twoje wizyty
visit-list-action = Działanie
visit-citizen = Obsługiwana osoba
visit-started = Rozpoczęta
visit-ended = Zakończona
visit-open = Trwa
visit-continue = Wróć do wizyty
visit-record-link = Szczegóły
visit-ended-title = Zapis wizyty
visit-back-to-start = Wróć do obsługi z asystą
visit-receipts = Pokwitowania
visit-no-receipts = Podczas tej wizyty nie przyjęto żadnej wpłaty.
visit-receipt-reprint = Pokaż i wydrukuj ponownie
visit-ended-privacy = Skrzynka tej osoby nie jest tu pokazywana: można ją było oglądać tylko w jej obecności przy okienku.
