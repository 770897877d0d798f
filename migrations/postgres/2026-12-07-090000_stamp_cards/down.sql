DROP TABLE stamp_cards;
