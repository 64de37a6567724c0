-- real.sqlite, first run: create and fill a database on the preopened
-- directory (@DIR@ is replaced by the driver: the host directory for the
-- native shell, the guest path for the one under twine).
.bail on
.headers on
.mode list
PRAGMA page_size = 4096;
PRAGMA foreign_keys = ON;

CREATE TABLE customer(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  city TEXT NOT NULL,
  joined TEXT NOT NULL
);
CREATE TABLE product(
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL UNIQUE,
  price REAL NOT NULL CHECK (price > 0),
  category TEXT NOT NULL
);
CREATE TABLE orders(
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer(id),
  product_id INTEGER NOT NULL REFERENCES product(id),
  qty INTEGER NOT NULL,
  day TEXT NOT NULL
);

BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
INSERT INTO customer
  SELECT i,
         printf('customer-%05d', i),
         CASE i % 7 WHEN 0 THEN 'Lyon' WHEN 1 THEN 'Dresden' WHEN 2 THEN 'Porto'
                    WHEN 3 THEN 'Brno' WHEN 4 THEN 'Turku' WHEN 5 THEN 'Ghent'
                    ELSE 'Cork' END,
         date('2019-01-01', '+' || (i * 37 % 1461) || ' days')
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
INSERT INTO product
  SELECT i,
         printf('%s #%d', CASE i % 5 WHEN 0 THEN 'Book' WHEN 1 THEN 'Lamp'
                          WHEN 2 THEN 'Kettle' WHEN 3 THEN 'Chair' ELSE 'Pen' END, i),
         round((i * 7919 % 10000) / 100.0 + 0.99, 2),
         CASE i % 5 WHEN 0 THEN 'book' WHEN 1 THEN 'light' WHEN 2 THEN 'kitchen'
                    WHEN 3 THEN 'furniture' ELSE 'office' END
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8000)
INSERT INTO orders
  SELECT i, (i * 7 % 2400) + 1, (i * 13 % 400) + 1, i % 9 + 1,
         date('2021-01-01', '+' || (i * 11 % 730) || ' days')
  FROM n;
COMMIT;

CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_product ON orders(product_id, qty);
CREATE INDEX customer_city ON customer(city, joined);
CREATE VIEW order_lines AS
  SELECT o.id, c.name, c.city, p.title, p.category, o.qty, p.price,
         o.qty * p.price AS amount, o.day
  FROM orders o JOIN customer c ON c.id = o.customer_id
                JOIN product p ON p.id = o.product_id;

SELECT count(*) AS customers FROM customer;
SELECT count(*) AS products, round(sum(price), 2) AS total_price FROM product;
SELECT count(*) AS orders, sum(qty) AS items FROM orders;

-- a CSV round trip through a file on the preopened directory
.headers off
.mode csv
.once @DIR@/products.csv
SELECT * FROM product ORDER BY id;
CREATE TABLE product_copy(id INTEGER, title TEXT, price REAL, category TEXT);
.import @DIR@/products.csv product_copy
.mode list
.headers on
SELECT count(*) AS copied, round(sum(price), 2) AS total FROM product_copy;
SELECT count(*) AS identical FROM product p JOIN product_copy c USING (id)
  WHERE p.title = c.title AND p.price = c.price AND p.category = c.category;
DROP TABLE product_copy;
PRAGMA foreign_key_check;
PRAGMA integrity_check;
