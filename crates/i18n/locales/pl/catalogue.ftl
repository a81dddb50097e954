nav-services = Usługi
services-title = Katalog usług publicznych
services-intro = Znajdź sprawę do załatwienia w urzędzie: co trzeba przygotować, ile to trwa i ile kosztuje.
services-q = Czego szukasz?
services-q-hint = Na przykład: zaświadczenie o zameldowaniu, rejestracja psa. Polskie znaki nie są konieczne.
services-category = Kategoria
services-any = Wszystkie
services-city = Miejscowość urzędu
services-search = Szukaj
services-found =
    { $count ->
        [0] Nie znaleziono usług
        [one] Znaleziono 1 usługę
        [few] Znaleziono { $count } usługi
       *[other] Znaleziono { $count } usług
    }
services-none = Spróbuj innych słów albo usuń filtr kategorii lub miejscowości.
services-more = Następne wyniki
services-events = Sprawy na ważne chwile w życiu
service-fee = Opłata
service-time = Czas załatwienia
service-fee-none = bez opłaty
service-fee-computed = obliczana we wniosku
service-days =
    { $count ->
        [one] do 1 dnia
       *[other] do { $count } dni
    }
service-days-now = od ręki
service-who = Kto może złożyć wniosek
service-channels = Jak załatwić
service-documents = Co przygotować
service-documents-none = Nie trzeba przygotowywać dokumentów.
service-start = Złóż wniosek przez internet
service-start-hint = Wniosek trafi do skrzynki do doręczeń urzędu; dostaniesz dowód nadania z datą, która liczy się dla terminów.
service-in-person = Tę sprawę załatwisz osobiście w urzędzie albo listownie.
service-where = Gdzie
service-legal = Podstawa prawna
service-no-mailbox-title = Potrzebna skrzynka do doręczeń
service-no-mailbox = Aby złożyć wniosek przez internet, załóż najpierw własną skrzynkę do doręczeń elektronicznych.
catalogue-link = Katalog usług urzędu
catalogue-title = Katalog usług urzędu
catalogue-refused = Plik nie został wczytany
catalogue-count =
    { $count ->
        [one] 1 usługa
        [few] { $count } usługi
       *[other] { $count } usług
    }
catalogue-export = Pobierz katalog
catalogue-export-csv = Plik CSV
catalogue-export-json = Plik JSON
catalogue-import = Wczytaj katalog z pliku
catalogue-import-hint = Plik CSV lub JSON w tym samym układzie co pobrany. Usługi o tym samym kodzie zostaną zastąpione, nowe dodane. Jeśli w pliku jest błąd, nic się nie zmieni.
catalogue-file = Plik katalogu
catalogue-imported =
    { $count ->
        [one] Wczytano 1 usługę.
        [few] Wczytano { $count } usługi.
       *[other] Wczytano { $count } usług.
    }
cat-civil-status = Stan cywilny i dokumenty
cat-residence = Meldunek
cat-construction = Budowa i nieruchomości
cat-environment = Środowisko
cat-business = Działalność gospodarcza
cat-transport = Pojazdy i drogi
cat-taxes = Podatki i opłaty
cat-social = Pomoc społeczna
cat-animals = Zwierzęta
cat-information = Informacja publiczna
event-building-a-house = Budowa domu
event-moving = Przeprowadzka
event-starting-a-business = Zakładanie firmy
event-having-a-child = Narodziny dziecka
event-buying-a-car = Kupno samochodu
event-getting-a-pet = Nowe zwierzę w domu
channel-online = przez internet
channel-counter = w urzędzie
channel-post = listownie
err-too-long = Ten tekst jest za długi.
err-service-code = Kod usługi: od 1 do 40 liter, cyfr, kresek, podkreśleń lub kropek.
err-service-name = Podaj nazwę usługi po polsku.
err-service-texts = Opisy: języki pl, en, sr-Latn, sr-Cyrl; nazwa do 200 znaków, opis do 4000.
err-service-fee = Opłata musi być kwotą większą od zera (na przykład 17,00), 0 albo „computed”.
err-service-days = Czas załatwienia: liczba dni od 0 do 365.
err-service-category = Nieznana kategoria.
err-service-event = Nieznane wydarzenie życiowe.
err-service-channels = Podaj co najmniej jeden sposób załatwienia: online, counter lub post.
err-import-empty = W pliku nie ma żadnej usługi.
err-import-columns = Pierwszy wiersz musi zawierać nazwy kolumn jak w pobranym pliku.
err-import-cells = W wierszu jest inna liczba komórek niż kolumn.
err-import-too-many = Plik może zawierać najwyżej 5000 usług.
err-import-long = Komórka jest za długa.
err-import-quote = Cudzysłów nie został zamknięty.
err-import-json = To nie jest poprawny plik JSON z listą usług.
err-import-department = Urząd nie ma wydziału o tym kodzie.
err-import-code-twice = Ten kod usługi występuje w pliku dwa razy.
err-import-utf8 = Plik musi być zapisany w kodowaniu UTF-8.
err-import-format = Format: csv albo json.
import-at-line = Wiersz { $line }: { $problem }
import-at-line-field = Wiersz { $line }, kolumna { $field }: { $problem }
import-at-field = { $field }: { $problem }
action-catalogue-import = Wczytanie katalogu usług
