"""Districts and their schools: the district's registry, school cards, XLSX/CSV import."""
