tp-check-title = Proverite zahtev
tp-check-intro = Službenik će ove podatke uporediti sa Vašom ličnom kartom. Ako se nešto razlikuje od lične karte, zahtev će biti odbijen: ispravite to sada.
tp-check-send = Pošalji zahtev
tp-check-change = Izmeni zahtev
counter-check-title = Proverite podatke sa osobom
counter-check-intro = Pročitajte ih i uporedite sa ličnom kartom koju držite. Registracija otvara nalog sa pouzdanim profilom na snazi; zatim štampate list za aktivaciju.
counter-check-change = Izmeni podatke
counter-check-none = Nije navedeno
