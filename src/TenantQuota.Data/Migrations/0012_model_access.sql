-- Model access (issue 8): the models a department's people, or one person, may call. Null: any model their
-- tier allows (the tier's list is in config/quota-matrix.yaml). A JSON array of model names of the price table.
ALTER TABLE departments ADD COLUMN models jsonb;
ALTER TABLE subjects ADD COLUMN models jsonb;
