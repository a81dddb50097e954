-- The catalogue search index: each folded word of a service (its search text), so that a
-- search finds the services whose words start with each word asked (a range on the key)
-- instead of reading every service. Filled for the services already there by the
-- migration runner (store sql/catalogue.rs index_words_in), kept in the commit that saves a
-- service.
CREATE TABLE service_words (
    word TEXT NOT NULL,
    service_id TEXT NOT NULL REFERENCES public_services(id),
    PRIMARY KEY (word, service_id)
);
CREATE INDEX service_words_by_service ON service_words (service_id);
