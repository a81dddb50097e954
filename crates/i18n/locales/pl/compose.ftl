compose-continue = Dalej
compose-check-title = Sprawdź wiadomość przed wysłaniem
compose-check-warning = Po wysłaniu wiadomość i załączniki trafią do adresatów w tej postaci, z dowodem nadania, który ma skutek prawny; wysłanej wiadomości nie można wycofać.
compose-check-send = Wyślij wiadomość
compose-check-change = Zmień wiadomość
compose-check-postal = Listem do
compose-check-no-attachments = Bez załączników
