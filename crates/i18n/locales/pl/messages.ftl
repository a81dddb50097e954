notice-message-sent-ref = Wiadomość wysłana. Jej numer referencyjny to { $reference } (podaj go, dzwoniąc w tej sprawie); dowód { $evidence }.
message-reference = Numer referencyjny
