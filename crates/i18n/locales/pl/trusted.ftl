tp-check-title = Sprawdź wniosek
tp-check-intro = Pracownik placówki porówna te dane z Twoim dowodem osobistym. Jeśli coś różni się od dowodu, wniosek zostanie odrzucony: popraw to teraz.
tp-check-send = Wyślij wniosek
tp-check-change = Zmień wniosek
counter-check-title = Sprawdź dane z tą osobą
counter-check-intro = Odczytaj je i porównaj z dowodem osobistym, który trzymasz. Rejestracja zakłada konto z profilem zaufanym w mocy; następnie drukujesz kartę aktywacyjną.
counter-check-change = Zmień dane
counter-check-none = Nie podano
