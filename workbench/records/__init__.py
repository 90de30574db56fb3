"""Form-backed records: monthly data entry, PDSA cycles, coaching visits, self-assessments. Each
validates one record and saves it append-only in one transaction.
"""

__all__: list[str] = []
