away-title = Kiedy nie przyjmuję interesantów
away-intro = Wpisz czas, w którym nie przyjmujesz interesantów (szkolenie, urlop). Terminy, w których przyjmujesz, mają wtedy od razu mniej wolnych miejsc, a gdy nikt inny nie przyjmuje — żadnych. Osoby już umówione zachowują swoje wizyty. Dni, w których zastępuje Cię ktoś z zespołu (zastępstwa), liczą się tak samo.
away-none = Nie masz wpisanych nieobecności.
away-from = Od
away-until = Do
away-note = Powód (widzą go tylko współpracownicy)
away-booked = Umówione wizyty w tym czasie
away-booked-n = { $n ->
    [one] 1 osoba umówiona — poproś współpracownika o przyjęcie albo przenieś wizytę
    [few] { $n } osoby umówione — poproś współpracownika o przyjęcie albo przenieś wizyty
   *[other] { $n } osób umówionych — poproś współpracownika o przyjęcie albo przenieś wizyty
}
away-booked-none = brak
away-remove = Usuń
away-add = Dodaj nieobecność
away-hint = Bez godzin — cały dzień. Bez ostatniego dnia — jeden dzień.
away-first-day = Pierwszy dzień
away-from-time = Od godziny (np. 08:00)
away-last-day = Ostatni dzień
away-until-time = Do godziny (np. 12:00)
away-save = Zapisz nieobecność
calendar-away = Kiedy nie przyjmuję interesantów
notice-away-added = Zapisano. Wolne miejsca w tym czasie zostały zmniejszone.
notice-away-removed = Usunięto. Wolne miejsca wróciły.
err-away-day = Podaj dzień w postaci RRRR-MM-DD.
err-away-time = Podaj godzinę w postaci GG:MM, np. 08:00.
err-away-order = Koniec musi być po początku.
err-away-past = Ten czas już minął.
err-away-long = Jedna nieobecność może trwać najwyżej rok.
err-away-moment = Podaj chwilę w postaci RFC 3339, np. 2026-12-10T08:00:00+01:00.
err-away-note = Powód może mieć najwyżej 200 znaków.
err-appt-officials = Wybierz urzędników tego urzędu (najwyżej 50).
appt-admin-officials = Kto przyjmuje (nieobowiązkowe)
appt-admin-officials-hint = Gdy wybierzesz urzędników, ich nieobecności zmniejszają liczbę miejsc: każdy ma równą część miejsc terminu.
action-availability-away = Wpisano nieobecność urzędnika
action-availability-back = Usunięto nieobecność urzędnika
appt-admin-received-by = Przyjmują
