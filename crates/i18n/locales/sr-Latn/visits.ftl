# Posete službenika na šalteru: spisak na početnoj stranici i zapis završene posete.
visit-list-title = Vaše posete
visit-list-action = Radnja
visit-citizen = Uslužena osoba
visit-started = Počela
visit-ended = Završena
visit-open = U toku
visit-continue = Nazad na posetu
visit-record-link = Detalji
visit-ended-title = Zapis posete
visit-back-to-start = Nazad na uslugu uz pomoć
visit-receipts = Priznanice
visit-no-receipts = Tokom ove posete nije primljena nijedna uplata.
visit-receipt-reprint = Prikaži i ponovo odštampaj
visit-ended-privacy = Sanduče ove osobe se ovde ne prikazuje: moglo se videti samo dok je osoba bila na šalteru.
