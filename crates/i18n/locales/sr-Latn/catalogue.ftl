nav-services = Usluge
services-title = Katalog javnih usluga
services-intro = Pronađite šta vam treba od organa: šta da pripremite, koliko traje i koliko košta.
services-q = Šta tražite?
services-q-hint = Na primer: uverenje o prebivalištu, registracija psa. Dijakritički znaci nisu obavezni.
services-category = Kategorija
services-any = Sve
services-city = Mesto organa
services-search = Pretraži
services-found =
    { $count ->
        [0] Nije pronađena nijedna usluga
        [one] Pronađena je { $count } usluga
        [few] Pronađene su { $count } usluge
       *[other] Pronađeno je { $count } usluga
    }
services-none = Probajte druge reči ili uklonite filter kategorije ili mesta.
services-more = Sledeći rezultati
services-events = Usluge za važne trenutke u životu
service-fee = Taksa
service-time = Rok za rešavanje
service-fee-none = bez takse
service-fee-computed = obračunava se u zahtevu
service-days =
    { $count ->
        [one] do { $count } dana
        [few] do { $count } dana
       *[other] do { $count } dana
    }
service-days-now = odmah
service-who = Ko može da podnese zahtev
service-channels = Kako se podnosi
service-documents = Šta da pripremite
service-documents-none = Nisu potrebna dokumenta.
service-start = Podnesite zahtev elektronski
service-start-hint = Zahtev stiže u sanduče za dostavu organa; dobijate potvrdu o slanju sa vremenom koje se računa za rokove.
service-in-person = Ovaj zahtev podnosite lično u organu ili poštom.
service-where = Gde
service-legal = Pravni osnov
service-no-mailbox-title = Potrebno je sanduče za dostavu
service-no-mailbox = Da biste podneli zahtev elektronski, najpre otvorite sopstveno sanduče za elektronsku dostavu.
catalogue-link = Usluge organa
catalogue-title = Usluge organa
catalogue-refused = Datoteka nije učitana
catalogue-count =
    { $count ->
        [one] { $count } usluga
        [few] { $count } usluge
       *[other] { $count } usluga
    }
catalogue-export = Preuzmite katalog
catalogue-export-csv = CSV datoteka
catalogue-export-json = JSON datoteka
catalogue-import = Učitajte katalog iz datoteke
catalogue-import-hint = CSV ili JSON datoteka u istom obliku kao preuzeta. Usluge sa istom šifrom se zamenjuju, nove se dodaju. Ako datoteka ima grešku, ništa se ne menja.
catalogue-file = Datoteka kataloga
catalogue-imported =
    { $count ->
        [one] Učitana je { $count } usluga.
        [few] Učitane su { $count } usluge.
       *[other] Učitano je { $count } usluga.
    }
cat-civil-status = Lična stanja i dokumenta
cat-residence = Prebivalište
cat-construction = Gradnja i nepokretnosti
cat-environment = Životna sredina
cat-business = Privredna delatnost
cat-transport = Vozila i putevi
cat-taxes = Porezi i takse
cat-social = Socijalna zaštita
cat-animals = Životinje
cat-information = Informacije od javnog značaja
event-building-a-house = Izgradnja kuće
event-moving = Selidba
event-starting-a-business = Osnivanje firme
event-having-a-child = Rođenje deteta
event-buying-a-car = Kupovina automobila
event-getting-a-pet = Nova životinja u kući
channel-online = elektronski
channel-counter = na šalteru organa
channel-post = poštom
err-too-long = Ovaj tekst je predugačak.
err-service-code = Šifra usluge: od 1 do 40 slova, cifara, crtica, donjih crta ili tačaka.
err-service-name = Navedite naziv usluge na poljskom.
err-service-texts = Opisi: jezici pl, en, sr-Latn, sr-Cyrl; naziv do 200 znakova, opis do 4000.
err-service-fee = Taksa mora biti iznos veći od nule (na primer 17,00), 0 ili „computed”.
err-service-days = Rok za rešavanje: broj dana od 0 do 365.
err-service-category = Nepoznata kategorija.
err-service-event = Nepoznat životni događaj.
err-service-channels = Navedite bar jedan način podnošenja: online, counter ili post.
err-import-empty = U datoteci nema nijedne usluge.
err-import-columns = Prvi red mora da sadrži nazive kolona kao u preuzetoj datoteci.
err-import-cells = Red ima drugačiji broj ćelija od broja kolona.
err-import-too-many = Datoteka može da sadrži najviše 5000 usluga.
err-import-long = Ćelija je predugačka.
err-import-quote = Navodnik nije zatvoren.
err-import-json = Ovo nije ispravna JSON datoteka sa spiskom usluga.
err-import-department = Organ nema odeljenje sa ovom šifrom.
err-import-code-twice = Ova šifra usluge se u datoteci javlja dva puta.
err-import-utf8 = Datoteka mora biti sačuvana u kodiranju UTF-8.
err-import-format = Format: csv ili json.
import-at-line = Red { $line }: { $problem }
import-at-line-field = Red { $line }, kolona { $field }: { $problem }
import-at-field = { $field }: { $problem }
action-catalogue-import = Učitan katalog usluga
