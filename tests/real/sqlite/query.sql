-- real.sqlite, second run on the database made by create.sql: queries,
-- joins, aggregates, window functions, changes, a rollback, VACUUM.
.bail on
.headers on
.mode list
.tables
.schema customer

SELECT city, count(*) AS n, min(joined) AS first, max(joined) AS last
  FROM customer GROUP BY city ORDER BY city;

-- the ten best customers (join of three tables through the view)
SELECT name, city, count(*) AS lines, sum(qty) AS items,
       printf('%.2f', sum(amount)) AS revenue
  FROM order_lines GROUP BY name ORDER BY sum(amount) DESC, name LIMIT 10;

-- revenue per category and quarter
SELECT category, strftime('%Y', day) || '-Q' || ((strftime('%m', day) + 2) / 3) AS quarter,
       count(*) AS lines, printf('%.2f', sum(amount)) AS revenue,
       printf('%.4f', avg(price)) AS avg_price
  FROM order_lines GROUP BY category, quarter ORDER BY category, quarter;

-- window functions: the three dearest products of each category, running totals
SELECT category, title, price, rnk FROM (
  SELECT category, title, price,
         rank() OVER (PARTITION BY category ORDER BY price DESC, id) AS rnk
  FROM product) WHERE rnk <= 3 ORDER BY category, rnk;
SELECT day, n, sum(n) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS week
  FROM (SELECT day, count(*) AS n FROM orders GROUP BY day)
  ORDER BY day LIMIT 15;

-- customers without orders, products never sold, correlated subqueries
SELECT count(*) AS idle_customers FROM customer c
  LEFT JOIN orders o ON o.customer_id = c.id WHERE o.id IS NULL;
SELECT count(*) AS unsold FROM product p
  WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.product_id = p.id);
SELECT c.city, (SELECT max(o.qty * p.price) FROM orders o JOIN product p ON p.id = o.product_id
                JOIN customer c2 ON c2.id = o.customer_id WHERE c2.city = c.city) AS biggest
  FROM (SELECT DISTINCT city FROM customer) c ORDER BY c.city;

-- floating point through SQLite's own conversions
SELECT total(price) AS total, avg(price) AS mean, min(price), max(price),
       sum(price * price) / count(*) - avg(price) * avg(price) AS variance
  FROM product;
SELECT 0.1 + 0.2, 1e300 * 10, -0.0, 1.0 / 3, 2.5e-7, 9007199254740993,
       CAST('3.14159' AS REAL), round(2.675, 2), 7 / 2, 7 % 3, abs(-9223372036854775807);

-- strings and JSON
SELECT upper(substr(title, 1, 4)) AS head, length(title), instr(title, '#'),
       replace(title, ' ', '_'), hex(substr(title, 1, 3))
  FROM product WHERE id IN (1, 2, 3, 398, 399, 400) ORDER BY id;
SELECT json_group_array(json_object('id', id, 'price', price)) FROM product WHERE id <= 5;
SELECT group_concat(city, '|') FROM (SELECT DISTINCT city FROM customer ORDER BY city);

-- changes, and a transaction that is rolled back
UPDATE product SET price = round(price * 1.1, 2) WHERE category = 'book';
DELETE FROM orders WHERE qty = 9;
SELECT changes() AS deleted, count(*) AS remaining FROM orders;
BEGIN;
DELETE FROM orders;
UPDATE customer SET city = 'nowhere';
SELECT count(*) AS during FROM orders;
ROLLBACK;
SELECT count(*) AS after_rollback FROM orders;
SELECT count(*) AS nowhere FROM customer WHERE city = 'nowhere';
INSERT INTO customer(name, city, joined) VALUES ('late', 'Cork', '2024-02-29');
SELECT id, name, joined, date(joined, '+1 year') FROM customer WHERE name = 'late';

-- a query plan: the index must be used
EXPLAIN QUERY PLAN SELECT * FROM orders WHERE customer_id = 42;
SELECT count(*) FROM orders WHERE customer_id = 42;

VACUUM;
PRAGMA integrity_check;
PRAGMA page_count;
PRAGMA freelist_count;
.dump product
