module ${{ values.modulePath }}

go 1.19
