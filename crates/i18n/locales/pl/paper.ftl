handover-download = Lista przekazania dla doręczyciela (PDF)
handover-title = Lista przekazania: { $point }
handover-intro = Paczka wydruku z { $batch }: listów { $count }, stron razem { $pages }. Doręczyciel sprawdza każdy list z jego numerem nadania i podpisuje poniżej.
handover-row = { $name }, { $street }, { $code } { $city } · stron: { $pages }
handover-signatures = Podpisy
handover-sign-lines =
    Wydał (pracownik placówki): ______________________________

    Przyjął (doręczyciel): ______________________________

    Data i godzina: ______________________________
