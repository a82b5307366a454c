"""Control acts: the district's papers on one school (акт проверки), numbered when issued."""
