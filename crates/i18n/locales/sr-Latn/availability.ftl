away-title = Kada ne primam stranke
away-intro = Upišite vreme kada ne primate stranke (obuka, odmor). Termini koje opslužujete tada odmah imaju manje slobodnih mesta, a kada niko drugi ne prima — nijedno. Već zakazane osobe zadržavaju svoje termine. Dani kada vas zamenjuje kolega (zamene) računaju se na isti način.
away-none = Nemate upisanih odsustava.
away-from = Od
away-until = Do
away-note = Razlog (vide ga samo kolege)
away-booked = Zakazani termini u tom vremenu
away-booked-n = { $n ->
    [one] { $n } osoba zakazana — zamolite kolegu da je primi ili pomerite termin
    [few] { $n } osobe zakazane — zamolite kolegu da ih primi ili pomerite termine
   *[other] { $n } osoba zakazano — zamolite kolegu da ih primi ili pomerite termine
}
away-booked-none = nema
away-remove = Ukloni
away-add = Dodaj odsustvo
away-hint = Bez sati — ceo dan. Bez poslednjeg dana — jedan dan.
away-first-day = Prvi dan
away-from-time = Od (npr. 08:00)
away-last-day = Poslednji dan
away-until-time = Do (npr. 12:00)
away-save = Sačuvaj odsustvo
calendar-away = Kada ne primam stranke
notice-away-added = Sačuvano. Slobodnih mesta u tom vremenu sada ima manje.
notice-away-removed = Uklonjeno. Slobodna mesta su vraćena.
err-away-day = Unesite dan u obliku GGGG-MM-DD.
err-away-time = Unesite vreme u obliku ČČ:MM, npr. 08:00.
err-away-order = Kraj mora biti posle početka.
err-away-past = To vreme je prošlo.
err-away-long = Jedno odsustvo traje najviše godinu dana.
err-away-moment = Unesite trenutak u obliku RFC 3339 (datum, vreme i pomak od UTC).
err-away-note = Razlog ima najviše 200 znakova.
err-appt-officials = Izaberite službenike ovog organa (najviše 50).
appt-admin-officials = Ko prima stranke (nije obavezno)
appt-admin-officials-hint = Kada izaberete službenike, njihova odsustva smanjuju broj mesta: svaki ima jednak deo mesta termina.
action-availability-away = Upisano odsustvo službenika
action-availability-back = Uklonjeno odsustvo službenika
appt-admin-received-by = Primaju
