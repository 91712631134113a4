"""The published RFM recipe for the UCI Online Retail data, in pandas.

An independent reproduction for tests/rfm_real_data.rs: the segmentation that
public notebooks run on online_retail.csv, written the way they write it
(dropna, str.contains("C"), groupby/agg, qcut, rank(method="first"), a regex
segment map). Usage:

    python3 rfm_pandas.py EVENTS.csv AS_OF OUT.csv

Writes one row per kept customer: customer, segment, recency, frequency,
monetary, R, F. Column names of Online Retail II (Invoice, Price, Customer ID)
are renamed to the Online Retail ones first.
"""
import sys

import pandas as pd

path, as_of, out = sys.argv[1:4]
df = pd.read_csv(path, dtype={"InvoiceNo": str, "Invoice": str, "StockCode": str})
df = df.rename(columns={"Invoice": "InvoiceNo", "Price": "UnitPrice", "Customer ID": "CustomerID"})
df = df.dropna(subset=["CustomerID"])
df = df[~df["InvoiceNo"].str.contains("C", na=False)]
df["TotalPrice"] = df["Quantity"] * df["UnitPrice"]
df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
today = pd.Timestamp(as_of)

rfm = df.groupby("CustomerID").agg(
    recency=("InvoiceDate", lambda d: (today - d.max()).days),
    frequency=("InvoiceNo", "nunique"),
    monetary=("TotalPrice", "sum"),
)
rfm = rfm[rfm["monetary"] > 0]
rfm["R"] = pd.qcut(rfm["recency"], 5, labels=[5, 4, 3, 2, 1])
rfm["F"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])

seg_map = {
    r"[1-2][1-2]": "hibernating",
    r"[1-2][3-4]": "at_Risk",
    r"[1-2]5": "cant_loose",
    r"3[1-2]": "about_to_sleep",
    r"33": "need_attention",
    r"[3-4][4-5]": "loyal_customers",
    r"41": "promising",
    r"51": "new_customers",
    r"[4-5][2-3]": "potential_loyalists",
    r"5[4-5]": "champions",
}
rfm["segment"] = (rfm["R"].astype(str) + rfm["F"].astype(str)).replace(seg_map, regex=True)
rfm.index = rfm.index.astype(int)
rfm.index.name = "customer"
rfm[["segment", "recency", "frequency", "monetary", "R", "F"]].to_csv(out)
