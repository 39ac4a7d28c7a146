<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>QObject</name>
    <message>
        <source>Cannot write %1</source>
        <translation>%1 kann nicht geschrieben werden</translation>
    </message>
    <message>
        <source>Images (*.png *.svg *.pdf);;CSV data (*.csv)</source>
        <translation>Bilder (*.png *.svg *.pdf);;CSV-Daten (*.csv)</translation>
    </message>
    <message>
        <source>Unknown image type &quot;%1&quot;: use .png, .svg or .pdf</source>
        <translation>Unbekannter Bildtyp „%1“: verwenden Sie .png, .svg oder .pdf</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>Export Chart</source>
        <translation>Diagramm exportieren</translation>
    </message>
</context>
<context>
    <name>cwb::gui::AnalysisActions</name>
    <message>
        <source>&amp;Analyze Model…</source>
        <translation>Modell &amp;analysieren…</translation>
    </message>
    <message>
        <source>Statistics, outlier channels, spectra and activation statistics of every tensor</source>
        <translation>Statistiken, Ausreißerkanäle, Spektren und Aktivierungsstatistiken aller Tensoren</translation>
    </message>
    <message>
        <source>&amp;Cancel Analysis</source>
        <translation>Analyse a&amp;bbrechen</translation>
    </message>
    <message>
        <source>Open &amp;Project…</source>
        <translation>&amp;Projekt öffnen…</translation>
    </message>
    <message>
        <source>Open a saved analysis (.cwbproj) and its model</source>
        <translation>Eine gespeicherte Analyse (.cwbproj) mit ihrem Modell öffnen</translation>
    </message>
    <message>
        <source>&amp;Save Project</source>
        <translation>Projekt &amp;speichern</translation>
    </message>
    <message>
        <source>Save the analysis to the project file</source>
        <translation>Die Analyse in der Projektdatei speichern</translation>
    </message>
    <message>
        <source>Save Project &amp;As…</source>
        <translation>Projekt speichern &amp;unter…</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Stop the analysis; results so far stay visible</source>
        <translation>Die Analyse anhalten; die bisherigen Ergebnisse bleiben sichtbar</translation>
    </message>
    <message>
        <source>Analyzing…</source>
        <translation>Wird analysiert…</translation>
    </message>
    <message>
        <source>Analysis finished: %1 tensors in %2 s</source>
        <translation>Analyse abgeschlossen: %1 Tensoren in %2 s</translation>
    </message>
    <message>
        <source>Analysis cancelled after %1 of %2 tensors</source>
        <translation>Analyse nach %1 von %2 Tensoren abgebrochen</translation>
    </message>
    <message>
        <source>Analysis Failed</source>
        <translation>Analyse fehlgeschlagen</translation>
    </message>
    <message>
        <source>The analysis stopped with an error.</source>
        <translation>Die Analyse wurde mit einem Fehler beendet.</translation>
    </message>
    <message>
        <source>Project saved: %1</source>
        <translation>Projekt gespeichert: %1</translation>
    </message>
    <message>
        <source>Project opened: %1</source>
        <translation>Projekt geöffnet: %1</translation>
    </message>
    <message>
        <source>Project Error</source>
        <translation>Projektfehler</translation>
    </message>
    <message>
        <source>The project %1 could not be used.</source>
        <translation>Das Projekt %1 konnte nicht verwendet werden.</translation>
    </message>
    <message>
        <source>Project Out of Date</source>
        <translation>Projekt veraltet</translation>
    </message>
    <message>
        <source>Save Project</source>
        <translation>Projekt speichern</translation>
    </message>
    <message>
        <source>Compression Workbench projects (*.cwbproj)</source>
        <translation>Compression-Workbench-Projekte (*.cwbproj)</translation>
    </message>
    <message>
        <source>Open Project</source>
        <translation>Projekt öffnen</translation>
    </message>
    <message>
        <source>Compression Workbench projects (*.cwbproj);;All files (*)</source>
        <translation>Compression-Workbench-Projekte (*.cwbproj);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Analyzing: %1 of %2 tensors</source>
        <translation>Analyse: %1 von %2 Tensoren</translation>
    </message>
    <message>
        <source>Collecting activation statistics…</source>
        <translation>Aktivierungsstatistiken werden gesammelt…</translation>
    </message>
    <message>
        <source>The model has changed since the project %1 was saved. Its results are not used; analyze the model again.</source>
        <translation>Das Modell wurde geändert, seit das Projekt %1 gespeichert wurde. Seine Ergebnisse werden nicht verwendet; analysieren Sie das Modell erneut.</translation>
    </message>
    <message>
        <source>Project cancelled: %1</source>
        <translation>Projekt abgebrochen: %1</translation>
    </message>
</context>
<context>
    <name>cwb::gui::AnalysisController</name>
    <message>
        <source>The project belongs to %1, which is not the open model.</source>
        <translation>Das Projekt gehört zu %1, das nicht das geöffnete Modell ist.</translation>
    </message>
    <message>
        <source>The project has %1 tensors, the model %2.</source>
        <translation>Das Projekt hat %1 Tensoren, das Modell %2.</translation>
    </message>
    <message>
        <source>Analyze %1</source>
        <translation>%1 analysieren</translation>
    </message>
    <message numerus="yes">
        <source>%n tensor(s)</source>
        <translation>
            <numerusform>%n Tensor</numerusform>
            <numerusform>%n Tensoren</numerusform>
        </translation>
    </message>
    <message>
        <source>Save project %1</source>
        <translation>Projekt %1 speichern</translation>
    </message>
    <message>
        <source>Writing %1</source>
        <translation>%1 wird geschrieben</translation>
    </message>
    <message>
        <source>Open project %1</source>
        <translation>Projekt %1 öffnen</translation>
    </message>
    <message>
        <source>Check project %1</source>
        <translation>Projekt %1 prüfen</translation>
    </message>
</context>
<context>
    <name>cwb::gui::AnalysisSeries</name>
    <message>
        <source>no outliers above %1 × median</source>
        <translation>keine Ausreißer über %1 × Median</translation>
    </message>
    <message>
        <source>1 outlier above %1 × median</source>
        <translation>1 Ausreißer über %1 × Median</translation>
    </message>
    <message>
        <source>%1 outliers above %2 × median</source>
        <translation>%1 Ausreißer über %2 × Median</translation>
    </message>
    <message>
        <source>%1, %2: %3</source>
        <translation>%1, %2: %3</translation>
    </message>
    <message>
        <source>Keras Dense kernel (in, out) %1 transposed to out × in = %2 × %3</source>
        <translation>Keras-Dense-Kernel (in, out) %1 transponiert zu out × in = %2 × %3</translation>
    </message>
    <message>
        <source>Conv kernel (kh, kw, in, out) %1 reshaped to out × kh·kw·in = %2 × %3</source>
        <translation>Faltungskern (kh, kw, in, out) %1 umgeformt zu out × kh·kw·in = %2 × %3</translation>
    </message>
    <message>
        <source>Kernel %1 reshaped to out × rest = %2 × %3</source>
        <translation>Kernel %1 umgeformt zu out × Rest = %2 × %3</translation>
    </message>
    <message>
        <source>Conv kernel (out, in, kh, kw) %1 reshaped to out × in·kh·kw = %2 × %3</source>
        <translation>Faltungskern (out, in, kh, kw) %1 umgeformt zu out × in·kh·kw = %2 × %3</translation>
    </message>
    <message>
        <source>Tensor %1 reshaped to out × rest = %2 × %3</source>
        <translation>Tensor %1 umgeformt zu out × Rest = %2 × %3</translation>
    </message>
    <message>
        <source>No spectrum for %1</source>
        <translation>Kein Spektrum für %1</translation>
    </message>
    <message>
        <source>Not analyzed: %1</source>
        <translation>Nicht analysiert: %1</translation>
    </message>
    <message>
        <source>A vector (1-D tensor) has no singular values.</source>
        <translation>Ein Vektor (1-D-Tensor) hat keine Singulärwerte.</translation>
    </message>
    <message>
        <source>Spectra were not computed. Run Analysis → Analyze Model with “Singular-value spectra” checked.</source>
        <translation>Es wurden keine Spektren berechnet. Führen Sie Analyse → Modell analysieren mit aktivierten „Singulärwert-Spektren“ aus.</translation>
    </message>
    <message>
        <source>Skipped: %1</source>
        <translation>Übersprungen: %1</translation>
    </message>
    <message>
        <source>stable rank</source>
        <translation>stabiler Rang</translation>
    </message>
    <message>
        <source>effective rank</source>
        <translation>effektiver Rang</translation>
    </message>
    <message>
        <source>energy rank %1 %</source>
        <translation>Energierang %1 %</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>alpha</source>
        <translation>Alpha</translation>
    </message>
    <message>
        <source>%1   (tail %2)</source>
        <translation>%1   (Ende %2)</translation>
    </message>
    <message>
        <source>power-law fit</source>
        <translation>Potenzgesetz-Fit</translation>
    </message>
    <message>
        <source>xmin %1, KS %2</source>
        <translation>xmin %1, KS %2</translation>
    </message>
    <message>
        <source>no power-law fit (too few eigenvalues)</source>
        <translation>keine Potenzgesetz-Anpassung (zu wenige Eigenwerte)</translation>
    </message>
    <message>
        <source>Weight output channels (rows)</source>
        <translation>Ausgabekanäle der Gewichte (Zeilen)</translation>
    </message>
    <message>
        <source>Weight input channels (columns)</source>
        <translation>Eingabekanäle der Gewichte (Spalten)</translation>
    </message>
    <message>
        <source>Activation input channels</source>
        <translation>Eingabekanäle der Aktivierungen</translation>
    </message>
    <message>
        <source>No calibration data: run Analysis → Analyze Model with a calibration text.</source>
        <translation>Keine Kalibrierungsdaten: Führen Sie Analyse → Modell analysieren mit einem Kalibrierungstext aus.</translation>
    </message>
    <message>
        <source>The calibration run did not observe this tensor&apos;s input.</source>
        <translation>Der Kalibrierungslauf hat die Eingabe dieses Tensors nicht beobachtet.</translation>
    </message>
    <message>
        <source>Activation input channels, %1 (%2 tokens): %3</source>
        <translation>Eingabekanäle der Aktivierungen, %1 (%2 Token): %3</translation>
    </message>
    <message>
        <source>%1 × median row abs-max</source>
        <translation>%1 × Median des Zeilen-Absolutmaximums</translation>
    </message>
    <message>
        <source>%1 × median column abs-max</source>
        <translation>%1 × Median des Spalten-Absolutmaximums</translation>
    </message>
    <message>
        <source>Outlier channels (abs-max above %1 × median): %2 of %3 rows (beyond ±%4), %5 of %6 columns (beyond ±%7)</source>
        <translation>Ausreißerkanäle (Absolutmaximum über %1 × Median): %2 von %3 Zeilen (jenseits von ±%4), %5 von %6 Spalten (jenseits von ±%7)</translation>
    </message>
</context>
<context>
    <name>cwb::gui::AnalyzeDialog</name>
    <message>
        <source>Singular-value &amp;spectra</source>
        <translation>Singulärwert-&amp;Spektren</translation>
    </message>
    <message>
        <source>Analyze Model</source>
        <translation>Modell analysieren</translation>
    </message>
    <message>
        <source>Singular values, energy ranks, stable and effective rank and the power-law alpha of every matrix. The costly part for large models.</source>
        <translation>Singulärwerte, Energieränge, stabiler und effektiver Rang und das Potenzgesetz-Alpha jeder Matrix. Der aufwendige Teil bei großen Modellen.</translation>
    </message>
    <message>
        <source>A channel is an outlier when its abs-max exceeds k times the median channel abs-max.</source>
        <translation>Ein Kanal ist ein Ausreißer, wenn sein Absolutmaximum das k-Fache des Medians der Kanal-Absolutmaxima übersteigt.</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>Gewichte</translation>
    </message>
    <message>
        <source>&amp;Outlier factor:</source>
        <translation>Ausreißer&amp;faktor:</translation>
    </message>
    <message>
        <source>Optional UTF-8 text file</source>
        <translation>Optionale UTF-8-Textdatei</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>Choose the calibration text</source>
        <translation>Kalibrierungstext auswählen</translation>
    </message>
    <message>
        <source>At most this many sequences (fewer when the text runs out)</source>
        <translation>Höchstens so viele Sequenzen (weniger, wenn der Text endet)</translation>
    </message>
    <message>
        <source>Tokens per sequence, BOS included</source>
        <translation>Token pro Sequenz, einschließlich BOS</translation>
    </message>
    <message>
        <source>Activations (calibration text)</source>
        <translation>Aktivierungen (Kalibrierungstext)</translation>
    </message>
    <message>
        <source>With a text, the model runs over it and records the abs-max and mean square of every linear layer&apos;s input channels.</source>
        <translation>Mit einem Text läuft das Modell darüber und zeichnet Absolutmaximum und mittleres Quadrat der Eingabekanäle jeder linearen Schicht auf.</translation>
    </message>
    <message>
        <source>&amp;Text:</source>
        <translation>&amp;Text:</translation>
    </message>
    <message>
        <source>Se&amp;quences:</source>
        <translation>Se&amp;quenzen:</translation>
    </message>
    <message>
        <source>To&amp;kens per sequence:</source>
        <translation>To&amp;ken pro Sequenz:</translation>
    </message>
    <message>
        <source>&amp;Analyze</source>
        <translation>&amp;Analysieren</translation>
    </message>
    <message>
        <source>Calibration Text</source>
        <translation>Kalibrierungstext</translation>
    </message>
    <message>
        <source>Text files (*.txt *.raw);;All files (*)</source>
        <translation>Textdateien (*.txt *.raw);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>k = </source>
        <translation>k = </translation>
    </message>
</context>
<context>
    <name>cwb::gui::ChannelsChart</name>
    <message>
        <source>No tensor selected</source>
        <translation>Kein Tensor ausgewählt</translation>
    </message>
    <message>
        <source>abs-max</source>
        <translation>Absolutmaximum</translation>
    </message>
    <message>
        <source>outlier threshold</source>
        <translation>Ausreißerschwelle</translation>
    </message>
</context>
<context>
    <name>cwb::gui::CompareDeltaChart</name>
    <message>
        <source>Log counts</source>
        <translation>Logarithmische Anzahl</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportieren…</translation>
    </message>
    <message>
        <source>Distribution:</source>
        <translation>Verteilung:</translation>
    </message>
    <message>
        <source>Which differences between B and A the histogram counts</source>
        <translation>Welche Unterschiede zwischen B und A das Histogramm zählt</translation>
    </message>
    <message>
        <source>Logarithmic count axis: the rare large changes stay visible</source>
        <translation>Logarithmische Anzahlachse: die seltenen großen Änderungen bleiben sichtbar</translation>
    </message>
    <message>
        <source>Save the chart as PNG, SVG or PDF, or its bins as CSV</source>
        <translation>Das Diagramm als PNG, SVG oder PDF speichern oder seine Klassen als CSV</translation>
    </message>
    <message>
        <source>No comparison yet</source>
        <translation>Noch kein Vergleich</translation>
    </message>
    <message>
        <source>no change</source>
        <translation>keine Änderung</translation>
    </message>
</context>
<context>
    <name>cwb::gui::CompareErrorChart</name>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>Log scale</source>
        <translation>Logarithmische Skala</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportieren…</translation>
    </message>
    <message>
        <source>Metric:</source>
        <translation>Maß:</translation>
    </message>
    <message>
        <source>Which per-tensor error against the original the bars show</source>
        <translation>Welchen Fehler je Tensor gegenüber dem Original die Balken zeigen</translation>
    </message>
    <message>
        <source>Logarithmic value axis: small and large errors side by side</source>
        <translation>Logarithmische Werteachse: kleine und große Fehler nebeneinander</translation>
    </message>
    <message>
        <source>Save the chart as PNG, SVG or PDF, or its numbers as CSV</source>
        <translation>Das Diagramm als PNG, SVG oder PDF speichern oder seine Zahlen als CSV</translation>
    </message>
    <message>
        <source>A</source>
        <translation>A</translation>
    </message>
    <message>
        <source>B</source>
        <translation>B</translation>
    </message>
    <message>
        <source>No comparison yet</source>
        <translation>Noch kein Vergleich</translation>
    </message>
    <message>
        <source>%1: A %2, B %3 (%4)</source>
        <translation>%1: A %2, B %3 (%4)</translation>
    </message>
    <message>
        <source>Point at a pair of bars to see its tensor and values.</source>
        <translation>Auf ein Balkenpaar zeigen, um Tensor und Werte zu sehen.</translation>
    </message>
    <message>
        <source>No value of %1 can be drawn on a log scale</source>
        <translation>Kein Wert von %1 lässt sich auf einer logarithmischen Skala zeichnen</translation>
    </message>
</context>
<context>
    <name>cwb::gui::ComparePanel</name>
    <message>
        <source>Choose two sides and a text, then press Compare.</source>
        <translation>Zwei Seiten und einen Text wählen, dann „Vergleichen“ drücken.</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>A (before):</source>
        <translation>A (vorher):</translation>
    </message>
    <message>
        <source>B (after):</source>
        <translation>B (nachher):</translation>
    </message>
    <message>
        <source>Open model</source>
        <translation>Geöffnetes Modell</translation>
    </message>
    <message>
        <source>Compressed weights</source>
        <translation>Komprimierte Gewichte</translation>
    </message>
    <message>
        <source>Model or archive file</source>
        <translation>Modell- oder Archivdatei</translation>
    </message>
    <message>
        <source>The open model as loaded, its last compression (held in memory), or a model or .cwbarchive file</source>
        <translation>Das geöffnete Modell wie geladen, seine letzte Komprimierung (im Speicher) oder eine Modell- oder .cwbarchive-Datei</translation>
    </message>
    <message>
        <source>Model or .cwbarchive file</source>
        <translation>Modell- oder .cwbarchive-Datei</translation>
    </message>
    <message>
        <source>Choose a model or archive file</source>
        <translation>Eine Modell- oder Archivdatei wählen</translation>
    </message>
    <message>
        <source>Evaluation text, cut into documents at blank lines</source>
        <translation>Auswertungstext, an Leerzeilen in Dokumente geteilt</translation>
    </message>
    <message>
        <source>Choose the evaluation text</source>
        <translation>Den Auswertungstext wählen</translation>
    </message>
    <message>
        <source>or slice files, one slice each (separated by ;)</source>
        <translation>oder Abschnittsdateien, je eine ein Abschnitt (getrennt durch ;)</translation>
    </message>
    <message>
        <source>Slice files replace the text: each file is one slice</source>
        <translation>Abschnittsdateien ersetzen den Text: jede Datei ist ein Abschnitt</translation>
    </message>
    <message>
        <source>Choose slice files</source>
        <translation>Abschnittsdateien wählen</translation>
    </message>
    <message>
        <source>Text:</source>
        <translation>Text:</translation>
    </message>
    <message>
        <source>Slices:</source>
        <translation>Abschnitte:</translation>
    </message>
    <message>
        <source>Window length in tokens; each slice holds at least one window</source>
        <translation>Fensterlänge in Token; jeder Abschnitt enthält mindestens ein Fenster</translation>
    </message>
    <message>
        <source>all</source>
        <translation>alle</translation>
    </message>
    <message>
        <source>Windows to score in all, given to the slices in text order</source>
        <translation>Insgesamt zu bewertende Fenster, in Textreihenfolge auf die Abschnitte verteilt</translation>
    </message>
    <message>
        <source>Greedy tokens each side generates per prompt (behavioural check)</source>
        <translation>Gierig erzeugte Token je Seite und Prompt (Verhaltensprüfung)</translation>
    </message>
    <message>
        <source>A prompt counts as unchanged when its first N tokens are</source>
        <translation>Ein Prompt gilt als unverändert, wenn seine ersten N Token es sind</translation>
    </message>
    <message>
        <source>&amp;Compare</source>
        <translation>&amp;Vergleichen</translation>
    </message>
    <message>
        <source>Evaluate both sides on the slices and the prompts</source>
        <translation>Beide Seiten auf den Abschnitten und den Prompts auswerten</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Window:</source>
        <translation>Fenster:</translation>
    </message>
    <message>
        <source>Windows:</source>
        <translation>Fenster gesamt:</translation>
    </message>
    <message>
        <source>Tokens:</source>
        <translation>Token:</translation>
    </message>
    <message>
        <source>Unchanged if first:</source>
        <translation>Unverändert, wenn die ersten:</translation>
    </message>
    <message>
        <source>Per-Tensor Errors</source>
        <translation>Fehler je Tensor</translation>
    </message>
    <message>
        <source>Δ Histograms</source>
        <translation>Δ-Histogramme</translation>
    </message>
    <message>
        <source>Behaviour</source>
        <translation>Verhalten</translation>
    </message>
    <message>
        <source>The compressed weights of %1 are no longer held: run its recipe again, or compare an archive of it.</source>
        <translation>Die komprimierten Gewichte von %1 sind nicht mehr im Speicher: sein Rezept erneut ausführen oder ein Archiv davon vergleichen.</translation>
    </message>
    <message>
        <source>The run %1 does not say which model it was of.</source>
        <translation>Der Lauf %1 nennt nicht, zu welchem Modell er gehört.</translation>
    </message>
    <message>
        <source>Choose a Model or Archive</source>
        <translation>Modell oder Archiv wählen</translation>
    </message>
    <message>
        <source>Models and archives (*.cwbarchive *.gguf *.safetensors *.json *.bin *.h5);;All files (*)</source>
        <translation>Modelle und Archive (*.cwbarchive *.gguf *.safetensors *.json *.bin *.h5);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Choose the Evaluation Text</source>
        <translation>Auswertungstext wählen</translation>
    </message>
    <message>
        <source>Text files (*.txt *.raw);;All files (*)</source>
        <translation>Textdateien (*.txt *.raw);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Choose Slice Files</source>
        <translation>Abschnittsdateien wählen</translation>
    </message>
    <message>
        <source>Open model (%1)</source>
        <translation>Geöffnetes Modell (%1)</translation>
    </message>
    <message>
        <source>Compressed weights (%1)</source>
        <translation>Komprimierte Gewichte (%1)</translation>
    </message>
    <message>
        <source>%1 (compressed)</source>
        <translation>%1 (komprimiert)</translation>
    </message>
    <message>
        <source>%1 is the open model, but no model is open.</source>
        <translation>%1 ist das geöffnete Modell, aber es ist kein Modell geöffnet.</translation>
    </message>
    <message>
        <source>%1 is the compressed weights, but the open model has not been compressed yet.</source>
        <translation>%1 sind die komprimierten Gewichte, aber das geöffnete Modell wurde noch nicht komprimiert.</translation>
    </message>
    <message>
        <source>Choose a model or archive file for %1.</source>
        <translation>Eine Modell- oder Archivdatei für %1 wählen.</translation>
    </message>
    <message>
        <source>Choose an evaluation text or slice files.</source>
        <translation>Einen Auswertungstext oder Abschnittsdateien wählen.</translation>
    </message>
    <message>
        <source>Compare %1 with %2</source>
        <translation>%1 mit %2 vergleichen</translation>
    </message>
    <message>
        <source>KLD %1</source>
        <translation>KLD %1</translation>
    </message>
    <message>
        <source>Done in %1&#xa0;s.</source>
        <translation>Fertig in %1&#xa0;s.</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>Abgebrochen.</translation>
    </message>
    <message>
        <source>Opening both sides…</source>
        <translation>Beide Seiten werden geöffnet…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
    <message>
        <source>&lt;b&gt;A&lt;/b&gt; %1 (%2 bits/weight) → &lt;b&gt;B&lt;/b&gt; %3 (%4 bits/weight)&lt;br&gt;ppl %5 ± %6 → %7 ± %8 · KLD %9 (p99 %10) · top-1 %11&#xa0;% · %12 of %13 slices</source>
        <translation>&lt;b&gt;A&lt;/b&gt; %1 (%2 Bit/Gewicht) → &lt;b&gt;B&lt;/b&gt; %3 (%4 Bit/Gewicht)&lt;br&gt;PPL %5 ± %6 → %7 ± %8 · KLD %9 (p99 %10) · Top-1 %11&#xa0;% · %12 von %13 Abschnitten</translation>
    </message>
    <message>
        <source>A: %1</source>
        <translation>A: %1</translation>
    </message>
    <message>
        <source>B: %1</source>
        <translation>B: %1</translation>
    </message>
    <message>
        <source>Neither side is a compression: no per-tensor errors are known</source>
        <translation>Keine Seite ist eine Komprimierung: Fehler je Tensor sind unbekannt</translation>
    </message>
    <message>
        <source>Relative error</source>
        <translation>Relativer Fehler</translation>
    </message>
    <message>
        <source>Output error (calibration)</source>
        <translation>Ausgabefehler (Kalibrierung)</translation>
    </message>
</context>
<context>
    <name>cwb::gui::CompareSeries</name>
    <message>
        <source>n = %1 · mean %2 · std %3</source>
        <translation>n = %1 · Mittel %2 · Stdabw. %3</translation>
    </message>
    <message>
        <source> · %1 beyond the range shown</source>
        <translation> · %1 außerhalb des gezeigten Bereichs</translation>
    </message>
    <message>
        <source>ΔNLL per token (B − A)</source>
        <translation>ΔNLL je Token (B − A)</translation>
    </message>
    <message>
        <source>ΔNLL (nats)</source>
        <translation>ΔNLL (nat)</translation>
    </message>
    <message>
        <source>KLD per token</source>
        <translation>KLD je Token</translation>
    </message>
    <message>
        <source>KLD of B from A (nats)</source>
        <translation>KLD von B gegenüber A (nat)</translation>
    </message>
    <message>
        <source>ΔNLL per slice</source>
        <translation>ΔNLL je Abschnitt</translation>
    </message>
    <message>
        <source>mean ΔNLL (nats)</source>
        <translation>mittlere ΔNLL (nat)</translation>
    </message>
    <message>
        <source>KLD per slice</source>
        <translation>KLD je Abschnitt</translation>
    </message>
    <message>
        <source>mean KLD (nats)</source>
        <translation>mittlere KLD (nat)</translation>
    </message>
    <message>
        <source>Δ relative error per tensor</source>
        <translation>Δ relativer Fehler je Tensor</translation>
    </message>
    <message>
        <source>relative error B − A</source>
        <translation>relativer Fehler B − A</translation>
    </message>
    <message>
        <source>%1 of %2 prompts keep their first %3 tokens (%4&#xa0;%); %5 identical throughout %6 tokens</source>
        <translation>%1 von %2 Prompts behalten ihre ersten %3 Token (%4&#xa0;%); %5 identisch über alle %6 Token</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <source>A: %1</source>
        <translation>A: %1</translation>
    </message>
    <message>
        <source>B: %1</source>
        <translation>B: %1</translation>
    </message>
    <message>
        <source>identical</source>
        <translation>identisch</translation>
    </message>
    <message>
        <source>differs from token %1</source>
        <translation>weicht ab Token %1 ab</translation>
    </message>
</context>
<context>
    <name>cwb::gui::CompareSlicesModel</name>
    <message>
        <source>%1, line %2 (documents %3–%4)
%5 windows, %6 positions scored
ppl A %7 ± %8, B %9 ± %10
KLD median %11, max %12</source>
        <translation>%1, Zeile %2 (Dokumente %3–%4)
%5 Fenster, %6 Positionen bewertet
PPL A %7 ± %8, B %9 ± %10
KLD Median %11, Maximum %12</translation>
    </message>
    <message>
        <source>%1%2&#xa0;%</source>
        <translation>%1%2&#xa0;%</translation>
    </message>
    <message>
        <source>%1&#xa0;%</source>
        <translation>%1&#xa0;%</translation>
    </message>
    <message>
        <source>B&apos;s perplexity relative to A&apos;s</source>
        <translation>Perplexität von B relativ zu der von A</translation>
    </message>
    <message>
        <source>Mean NLL of B minus that of A, nats per token</source>
        <translation>Mittlere NLL von B minus der von A, nat je Token</translation>
    </message>
    <message>
        <source>Mean KL divergence of B&apos;s next-token distributions from A&apos;s</source>
        <translation>Mittlere KL-Divergenz der Nächstes-Token-Verteilungen von B gegenüber A</translation>
    </message>
    <message>
        <source>99th percentile of the KL divergence over the positions</source>
        <translation>99. Perzentil der KL-Divergenz über die Positionen</translation>
    </message>
    <message>
        <source>Positions where A and B rank the same token first</source>
        <translation>Positionen, an denen A und B dasselbe Token an erste Stelle setzen</translation>
    </message>
    <message>
        <source>Slice</source>
        <translation>Abschnitt</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>Token</translation>
    </message>
    <message>
        <source>PPL A</source>
        <translation>PPL A</translation>
    </message>
    <message>
        <source>PPL B</source>
        <translation>PPL B</translation>
    </message>
    <message>
        <source>Δ PPL</source>
        <translation>Δ PPL</translation>
    </message>
    <message>
        <source>Δ NLL</source>
        <translation>Δ NLL</translation>
    </message>
    <message>
        <source>KLD</source>
        <translation>KLD</translation>
    </message>
    <message>
        <source>KLD p99</source>
        <translation>KLD p99</translation>
    </message>
    <message>
        <source>Top-1</source>
        <translation>Top-1</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>Text</translation>
    </message>
</context>
<context>
    <name>cwb::gui::CompressionPanel</name>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>Choose a UTF-8 text file to collect activation statistics from</source>
        <translation>Eine UTF-8-Textdatei auswählen, aus der Aktivierungsstatistiken gesammelt werden</translation>
    </message>
    <message>
        <source> sequences</source>
        <translation> Sequenzen</translation>
    </message>
    <message>
        <source>&amp;Compress</source>
        <translation>&amp;Komprimieren</translation>
    </message>
    <message>
        <source>Run the plan over the model in the background</source>
        <translation>Den Plan im Hintergrund auf das Modell anwenden</translation>
    </message>
    <message>
        <source>Compress and &amp;save…</source>
        <translation>Komprimieren und &amp;speichern…</translation>
    </message>
    <message>
        <source>Run the plan and write a .cwbarchive that cwb eval and cwb inspect read</source>
        <translation>Den Plan ausführen und ein .cwbarchive schreiben, das cwb eval und cwb inspect lesen</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Calibration:</source>
        <translation>Kalibrierung:</translation>
    </message>
    <message>
        <source>Open a model, edit the plan, then press Compress.</source>
        <translation>Öffnen Sie ein Modell, bearbeiten Sie den Plan und klicken Sie dann auf Komprimieren.</translation>
    </message>
    <message>
        <source>Run a compression to see each tensor&apos;s error.</source>
        <translation>Führen Sie eine Kompression aus, um den Fehler jedes Tensors zu sehen.</translation>
    </message>
    <message>
        <source>Calibration text</source>
        <translation>Kalibrierungstext</translation>
    </message>
    <message>
        <source>Text files (*.txt);;All files (*)</source>
        <translation>Textdateien (*.txt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Save compressed model</source>
        <translation>Komprimiertes Modell speichern</translation>
    </message>
    <message>
        <source>Compression Workbench archives (*.cwbarchive)</source>
        <translation>Compression-Workbench-Archive (*.cwbarchive)</translation>
    </message>
    <message>
        <source>Open a model first.</source>
        <translation>Öffnen Sie zuerst ein Modell.</translation>
    </message>
    <message>
        <source>A compression is already running.</source>
        <translation>Es läuft bereits eine Kompression.</translation>
    </message>
    <message numerus="yes">
        <source>The plan has %n problem(s); nothing was run:
%1</source>
        <translation>
            <numerusform>Der Plan hat %n Problem; es wurde nichts ausgeführt:
%1</numerusform>
            <numerusform>Der Plan hat %n Probleme; es wurde nichts ausgeführt:
%1</numerusform>
        </translation>
    </message>
    <message>
        <source>Compress %1</source>
        <translation>%1 komprimieren</translation>
    </message>
    <message>
        <source>Compress to %1</source>
        <translation>In %1 komprimieren</translation>
    </message>
    <message>
        <source>%1 tensors compressed: %2 MiB -&gt; %3 MiB (%4x, %5 bits/weight) in %6 s</source>
        <translation>%1 Tensoren komprimiert: %2 MiB -&gt; %3 MiB (%4x, %5 Bit/Gewicht) in %6 s</translation>
    </message>
    <message>
        <source>Cancelled; nothing was written.</source>
        <translation>Abgebrochen; es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <source>Compressing…</source>
        <translation>Wird komprimiert…</translation>
    </message>
    <message>
        <source>Relative Frobenius error</source>
        <translation>Relativer Frobenius-Fehler</translation>
    </message>
    <message>
        <source>Output error (calibration)</source>
        <translation>Ausgabefehler (Kalibrierung)</translation>
    </message>
    <message>
        <source>Calibration text (needed by %1)</source>
        <translation>Kalibrierungstext (benötigt von %1)</translation>
    </message>
    <message>
        <source>Calibration sequences (fewer when the text is short)</source>
        <translation>Kalibrierungssequenzen (weniger, wenn der Text kurz ist)</translation>
    </message>
    <message>
        <source> tokens each</source>
        <translation> Token je Sequenz</translation>
    </message>
    <message>
        <source>Tokens per calibration sequence, BOS included (capped at the model&apos;s context length)</source>
        <translation>Token je Kalibrierungssequenz, BOS eingeschlossen (höchstens die Kontextlänge des Modells)</translation>
    </message>
    <message>
        <source>Sequential</source>
        <translation>Sequenziell</translation>
    </message>
    <message>
        <source>Collect the calibration statistics layer by layer: each layer&apos;s inputs come from the layers before it already compressed (slower; off: once, from the original model)</source>
        <translation>Kalibrierungsstatistiken Schicht für Schicht erheben: die Eingaben jeder Schicht stammen aus den bereits komprimierten Schichten davor (langsamer; aus: einmal, aus dem ursprünglichen Modell)</translation>
    </message>
</context>
<context>
    <name>cwb::gui::Document</name>
    <message>
        <source>Open %1</source>
        <translation>%1 öffnen</translation>
    </message>
    <message>
        <source>%1 bits/weight</source>
        <translation>%1 Bit/Gewicht</translation>
    </message>
</context>
<context>
    <name>cwb::gui::EvaluatePanel</name>
    <message>
        <source>%1&#xa0;s</source>
        <translation>%1&#xa0;s</translation>
    </message>
    <message>
        <source>%1&#xa0;min %2&#xa0;s</source>
        <translation>%1&#xa0;min %2&#xa0;s</translation>
    </message>
    <message>
        <source>%1&#xa0;h %2&#xa0;min</source>
        <translation>%1&#xa0;h %2&#xa0;min</translation>
    </message>
    <message>
        <source>&amp;Run</source>
        <translation>&amp;Starten</translation>
    </message>
    <message>
        <source>Evaluate the open model on the text with these settings</source>
        <translation>Das geöffnete Modell mit diesen Einstellungen auf dem Text auswerten</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Open a model to evaluate it.</source>
        <translation>Öffnen Sie ein Modell, um es auszuwerten.</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>Text</translation>
    </message>
    <message>
        <source>UTF-8 text file to score</source>
        <translation>Zu bewertende UTF-8-Textdatei</translation>
    </message>
    <message>
        <source>Choose the text file</source>
        <translation>Textdatei auswählen</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Window length in tokens (n_ctx); at most the model&apos;s context</source>
        <translation>Fensterlänge in Token (n_ctx); höchstens der Kontext des Modells</translation>
    </message>
    <message>
        <source>All</source>
        <translation>Alle</translation>
    </message>
    <message>
        <source>Windows to score (llama.cpp&apos;s --chunks); All: as many as the text holds</source>
        <translation>Zu bewertende Fenster (--chunks von llama.cpp); Alle: so viele, wie der Text hergibt</translation>
    </message>
    <message>
        <source>All cores</source>
        <translation>Alle Kerne</translation>
    </message>
    <message>
        <source>Worker threads for the engine</source>
        <translation>Arbeits-Threads der Engine</translation>
    </message>
    <message>
        <source>llama.cpp (half window)</source>
        <translation>llama.cpp (halbes Fenster)</translation>
    </message>
    <message>
        <source>Full window</source>
        <translation>Ganzes Fenster</translation>
    </message>
    <message>
        <source>llama.cpp: each window starts with BOS and only its second half is scored, so the numbers match llama-perplexity. Full window: every position is scored.</source>
        <translation>llama.cpp: Jedes Fenster beginnt mit BOS, und nur seine zweite Hälfte wird bewertet, sodass die Zahlen mit llama-perplexity übereinstimmen. Ganzes Fenster: Jede Position wird bewertet.</translation>
    </message>
    <message>
        <source>Measure latency</source>
        <translation>Latenz messen</translation>
    </message>
    <message>
        <source>Also measure prefill and decode speed (tokens per second)</source>
        <translation>Auch Prefill- und Decode-Geschwindigkeit messen (Token pro Sekunde)</translation>
    </message>
    <message>
        <source>Context (n_ctx):</source>
        <translation>Kontext (n_ctx):</translation>
    </message>
    <message>
        <source>Chunks:</source>
        <translation>Fenster:</translation>
    </message>
    <message>
        <source>Threads:</source>
        <translation>Threads:</translation>
    </message>
    <message>
        <source>Protocol:</source>
        <translation>Protokoll:</translation>
    </message>
    <message>
        <source>KL divergence</source>
        <translation>KL-Divergenz</translation>
    </message>
    <message>
        <source>File to write (optional)</source>
        <translation>Neue Datei (optional)</translation>
    </message>
    <message>
        <source>Write this run&apos;s log-probabilities to a file, so later runs of a compressed model can be compared with it</source>
        <translation>Die Log-Wahrscheinlichkeiten dieses Laufs in eine Datei schreiben, damit spätere Läufe eines komprimierten Modells damit verglichen werden können</translation>
    </message>
    <message>
        <source>Recorded base (optional)</source>
        <translation>Basisdatei (optional)</translation>
    </message>
    <message>
        <source>KL divergence, top-1 agreement and perplexity ratio against a base recorded from the same text and settings</source>
        <translation>KL-Divergenz, Top-1-Übereinstimmung und Perplexitätsverhältnis gegenüber einer Basis, die mit demselben Text und denselben Einstellungen aufgezeichnet wurde</translation>
    </message>
    <message>
        <source>Choose where to save the base</source>
        <translation>Speicherort der Basis auswählen</translation>
    </message>
    <message>
        <source>Choose a recorded base</source>
        <translation>Aufgezeichnete Basis auswählen</translation>
    </message>
    <message>
        <source>Save as base:</source>
        <translation>Als Basis speichern:</translation>
    </message>
    <message>
        <source>Compare with base:</source>
        <translation>Mit Basis vergleichen:</translation>
    </message>
    <message>
        <source>Choose a Text File</source>
        <translation>Textdatei auswählen</translation>
    </message>
    <message>
        <source>Text files (*.txt *.raw);;All files (*)</source>
        <translation>Textdateien (*.txt *.raw);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Save Base Run As</source>
        <translation>Basislauf speichern unter</translation>
    </message>
    <message>
        <source>Base runs (*.logits);;All files (*)</source>
        <translation>Basisläufe (*.logits);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Compare with Base Run</source>
        <translation>Mit Basislauf vergleichen</translation>
    </message>
    <message>
        <source>Ready. Choose a text file and press Run.</source>
        <translation>Bereit. Wählen Sie eine Textdatei und klicken Sie auf Starten.</translation>
    </message>
    <message>
        <source>Tokenizing the text and preparing the engine…</source>
        <translation>Text wird tokenisiert und die Engine vorbereitet…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
    <message>
        <source>Measuring latency…</source>
        <translation>Latenz wird gemessen…</translation>
    </message>
    <message>
        <source>Finishing…</source>
        <translation>Wird abgeschlossen…</translation>
    </message>
    <message>
        <source>%v of %m windows</source>
        <translation>%v von %m Fenstern</translation>
    </message>
    <message>
        <source>Window %1 of %2 · ppl %3 · about %4 left</source>
        <translation>Fenster %1 von %2 · PPL %3 · noch etwa %4</translation>
    </message>
    <message>
        <source>Perplexity %1 ± %2 over %3 tokens in %4</source>
        <translation>Perplexität %1 ± %2 über %3 Token in %4</translation>
    </message>
    <message>
        <source>The evaluation failed.</source>
        <translation>Die Auswertung ist fehlgeschlagen.</translation>
    </message>
    <message>
        <source>Cancelled after %1.</source>
        <translation>Nach %1 abgebrochen.</translation>
    </message>
    <message>
        <source>Evaluation Failed</source>
        <translation>Auswertung fehlgeschlagen</translation>
    </message>
    <message>
        <source>The evaluation could not be completed.</source>
        <translation>Die Auswertung konnte nicht abgeschlossen werden.</translation>
    </message>
    <message>
        <source>Original</source>
        <translation>Original</translation>
    </message>
    <message>
        <source>Evaluate the model as stored, or with the tensors of the last compression run in place</source>
        <translation>Das Modell so auswerten, wie es gespeichert ist, oder mit den Tensoren des letzten Kompressionslaufs an ihrer Stelle</translation>
    </message>
    <message>
        <source>Weights:</source>
        <translation>Gewichte:</translation>
    </message>
    <message>
        <source>%1 (compressed, %2)</source>
        <translation>%1 (komprimiert, %2)</translation>
    </message>
    <message>
        <source>Compressed (%1)</source>
        <translation>Komprimiert (%1)</translation>
    </message>
    <message>
        <source>Evaluate %1</source>
        <translation>%1 auswerten</translation>
    </message>
    <message>
        <source>ppl %1</source>
        <translation>ppl %1</translation>
    </message>
    <message>
        <source>Integer activations (llama.cpp&apos;s Q8 arithmetic)</source>
        <translation>Ganzzahlige Aktivierungen (Q8-Arithmetik von llama.cpp)</translation>
    </message>
    <message>
        <source>Quantize matmul inputs to Q8 blocks and multiply them with the weight blocks in integers, as llama.cpp&apos;s CPU path does: perplexities of quantized models match llama.cpp&apos;s, and quantized models run faster</source>
        <translation>Eingaben der Matrixmultiplikationen in Q8-Blöcke quantisieren und ganzzahlig mit den Gewichtsblöcken multiplizieren, wie es der CPU-Pfad von llama.cpp tut: Die Perplexitäten quantisierter Modelle stimmen mit llama.cpp überein, und quantisierte Modelle laufen schneller</translation>
    </message>
</context>
<context>
    <name>cwb::gui::EvaluationRunsModel</name>
    <message>
        <source>llama.cpp, %1</source>
        <translation>llama.cpp, %1</translation>
    </message>
    <message>
        <source>full, %1</source>
        <translation>ganz, %1</translation>
    </message>
    <message>
        <source>%1 ± %2</source>
        <translation>%1 ± %2</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>Model: %1</source>
        <translation>Modell: %1</translation>
    </message>
    <message>
        <source>Text: %1</source>
        <translation>Text: %1</translation>
    </message>
    <message>
        <source>Protocol: llama.cpp (second half of each window scored)</source>
        <translation>Protokoll: llama.cpp (zweite Hälfte jedes Fensters bewertet)</translation>
    </message>
    <message>
        <source>Protocol: full window (every position scored)</source>
        <translation>Protokoll: ganzes Fenster (jede Position bewertet)</translation>
    </message>
    <message>
        <source>Context: %1 tokens, %2 windows, %3 tokens scored of %4 in the text</source>
        <translation>Kontext: %1 Token, %2 Fenster, %3 von %4 Token des Textes bewertet</translation>
    </message>
    <message>
        <source>Perplexity: %1 ± %2 (mean NLL %3 nats/token)</source>
        <translation>Perplexität: %1 ± %2 (mittlere NLL %3 nats/Token)</translation>
    </message>
    <message>
        <source>KL divergence: mean %1 ± %2, median %3, 99th percentile %4, max %5</source>
        <translation>KL-Divergenz: Mittel %1 ± %2, Median %3, 99. Perzentil %4, Max. %5</translation>
    </message>
    <message>
        <source>Top-1 agreement: %1 % of %2 positions</source>
        <translation>Top-1-Übereinstimmung: %1 % von %2 Positionen</translation>
    </message>
    <message>
        <source>Base perplexity: %1, ratio %2, difference %3</source>
        <translation>Basis-Perplexität: %1, Verhältnis %2, Differenz %3</translation>
    </message>
    <message>
        <source>KL divergence: not measured (no base run)</source>
        <translation>KL-Divergenz: nicht gemessen (kein Basislauf)</translation>
    </message>
    <message>
        <source>Prefill: %1 tok/s for %2 prompt tokens</source>
        <translation>Prefill: %1 Token/s für %2 Prompt-Token</translation>
    </message>
    <message>
        <source>Decode: %1 tok/s over %2 tokens (p50 %3 ms, p95 %4 ms per token)</source>
        <translation>Decode: %1 Token/s über %2 Token (p50 %3 ms, p95 %4 ms pro Token)</translation>
    </message>
    <message>
        <source>Latency: not measured</source>
        <translation>Latenz: nicht gemessen</translation>
    </message>
    <message>
        <source>Weights: %1 at %2 bits/weight; KV cache at this context: %3</source>
        <translation>Gewichte: %1 bei %2 Bit/Gewicht; KV-Cache bei diesem Kontext: %3</translation>
    </message>
    <message>
        <source>Peak memory (RSS): %1</source>
        <translation>Spitzenspeicher (RSS): %1</translation>
    </message>
    <message>
        <source>Evaluated at %1 tok/s; the whole run took %2 s</source>
        <translation>Ausgewertet mit %1 Token/s; der ganze Lauf dauerte %2 s</translation>
    </message>
    <message>
        <source>Finished: %1</source>
        <translation>Beendet: %1</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>Hinweis: %1</translation>
    </message>
    <message>
        <source>Perplexity protocol and window length (n_ctx)</source>
        <translation>Perplexitätsprotokoll und Fensterlänge (n_ctx)</translation>
    </message>
    <message>
        <source>Perplexity ± its standard error</source>
        <translation>Perplexität ± ihr Standardfehler</translation>
    </message>
    <message>
        <source>Mean KL divergence from the base run (nats)</source>
        <translation>Mittlere KL-Divergenz zum Basislauf (nats)</translation>
    </message>
    <message>
        <source>Positions where the most likely token matches the base run</source>
        <translation>Positionen, an denen das wahrscheinlichste Token mit dem Basislauf übereinstimmt</translation>
    </message>
    <message>
        <source>Stored size of the weights the engine uses</source>
        <translation>Gespeicherte Größe der Gewichte, die die Engine verwendet</translation>
    </message>
    <message>
        <source>Stored bits per weight</source>
        <translation>Gespeicherte Bits pro Gewicht</translation>
    </message>
    <message>
        <source>Prompt processing speed</source>
        <translation>Geschwindigkeit der Prompt-Verarbeitung</translation>
    </message>
    <message>
        <source>Token generation speed</source>
        <translation>Geschwindigkeit der Token-Erzeugung</translation>
    </message>
    <message>
        <source>Process memory high-water mark after the run</source>
        <translation>Höchststand des Prozessspeichers nach dem Lauf</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Protocol, n_ctx</source>
        <translation>Protokoll, n_ctx</translation>
    </message>
    <message>
        <source>Perplexity</source>
        <translation>Perplexität</translation>
    </message>
    <message>
        <source>KLD</source>
        <translation>KLD</translation>
    </message>
    <message>
        <source>Top-1</source>
        <translation>Top-1</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <source>Bits/weight</source>
        <translation>Bit/Gewicht</translation>
    </message>
    <message>
        <source>Prefill tok/s</source>
        <translation>Prefill Token/s</translation>
    </message>
    <message>
        <source>Decode tok/s</source>
        <translation>Decode Token/s</translation>
    </message>
    <message>
        <source>Peak RSS</source>
        <translation>Spitzen-RSS</translation>
    </message>
    <message>
        <source>Integer activations: matmul inputs quantized to Q8, integer dot products like llama.cpp&apos;s CPU path</source>
        <translation>Ganzzahlige Aktivierungen: Matmul-Eingaben in Q8 quantisiert, ganzzahlige Skalarprodukte wie im CPU-Pfad von llama.cpp</translation>
    </message>
    <message>
        <source>Float activations</source>
        <translation>Gleitkomma-Aktivierungen</translation>
    </message>
</context>
<context>
    <name>cwb::gui::ExportDialog</name>
    <message>
        <source>GGUF for llama.cpp (.gguf)</source>
        <translation>GGUF für llama.cpp (.gguf)</translation>
    </message>
    <message>
        <source>Hugging Face safetensors, dense (directory)</source>
        <translation>Hugging-Face-safetensors, dicht (Verzeichnis)</translation>
    </message>
    <message>
        <source>compressed-tensors for vLLM (directory)</source>
        <translation>compressed-tensors für vLLM (Verzeichnis)</translation>
    </message>
    <message>
        <source>llm-compressor recipe (.yaml)</source>
        <translation>llm-compressor-Rezept (.yaml)</translation>
    </message>
    <message>
        <source>llama.cpp tensor types + imatrix (directory)</source>
        <translation>llama.cpp-Tensortypen + imatrix (Verzeichnis)</translation>
    </message>
    <message>
        <source>GPTQModel quantize_config.json</source>
        <translation>GPTQModel quantize_config.json</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Exportieren</translation>
    </message>
    <message>
        <source>Last compression of the open model</source>
        <translation>Letzte Kompression des offenen Modells</translation>
    </message>
    <message>
        <source>Open model as it is</source>
        <translation>Offenes Modell unverändert</translation>
    </message>
    <message>
        <source>file or directory to write</source>
        <translation>zu schreibende Datei oder Verzeichnis</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>none: dequantize to the float type</source>
        <translation>keine: in den Gleitkommatyp dequantisieren</translation>
    </message>
    <message>
        <source>GGUF: the ggml type for compressed tensors that no GGUF type holds exactly (their error is measured and shown)</source>
        <translation>GGUF: der ggml-Typ für komprimierte Tensoren, die kein GGUF-Typ exakt darstellt (ihr Fehler wird gemessen und angezeigt)</translation>
    </message>
    <message>
        <source>optional: text for the importance matrix</source>
        <translation>optional: Text für die Wichtigkeitsmatrix</translation>
    </message>
    <message>
        <source>Source:</source>
        <translation>Quelle:</translation>
    </message>
    <message>
        <source>Target:</source>
        <translation>Ziel:</translation>
    </message>
    <message>
        <source>Output:</source>
        <translation>Ausgabe:</translation>
    </message>
    <message>
        <source>Float type:</source>
        <translation>Gleitkommatyp:</translation>
    </message>
    <message>
        <source>Re-quantize:</source>
        <translation>Neu quantisieren:</translation>
    </message>
    <message>
        <source>Calibration:</source>
        <translation>Kalibrierung:</translation>
    </message>
    <message>
        <source>Notes about the whole export appear here.</source>
        <translation>Hinweise zum gesamten Export erscheinen hier.</translation>
    </message>
    <message>
        <source>&amp;Export</source>
        <translation>&amp;Exportieren</translation>
    </message>
    <message>
        <source>Export to Directory</source>
        <translation>In Verzeichnis exportieren</translation>
    </message>
    <message>
        <source>Export to File</source>
        <translation>In Datei exportieren</translation>
    </message>
    <message>
        <source>Calibration Text</source>
        <translation>Kalibrierungstext</translation>
    </message>
    <message>
        <source>Text files (*.txt);;All files (*)</source>
        <translation>Textdateien (*.txt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Choose where to write the export.</source>
        <translation>Wählen Sie, wohin exportiert werden soll.</translation>
    </message>
    <message>
        <source>Preview export</source>
        <translation>Export-Vorschau</translation>
    </message>
    <message>
        <source>This export cannot be made: %1</source>
        <translation>Dieser Export ist nicht möglich: %1</translation>
    </message>
    <message>
        <source>Preview, nothing written yet: %1.</source>
        <translation>Vorschau, noch nichts geschrieben: %1.</translation>
    </message>
    <message>
        <source>Open a model first.</source>
        <translation>Öffnen Sie zuerst ein Modell.</translation>
    </message>
    <message>
        <source>An export is running.</source>
        <translation>Ein Export läuft bereits.</translation>
    </message>
    <message>
        <source>Export %1</source>
        <translation>%1 exportieren</translation>
    </message>
    <message>
        <source>Export cancelled: nothing was written, an earlier file is untouched.</source>
        <translation>Export abgebrochen: nichts wurde geschrieben, eine frühere Datei ist unverändert.</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>Export fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Wrote %1 (%2), read it back and compared every tensor: %3.</source>
        <translation>%1 (%2) geschrieben, zurückgelesen und jeden Tensor verglichen: %3.</translation>
    </message>
    <message>
        <source>Exporting… (progress and Cancel in the Jobs dock)</source>
        <translation>Export läuft… (Fortschritt und Abbrechen im Dock „Aufträge“)</translation>
    </message>
</context>
<context>
    <name>cwb::gui::ExportTableModel</name>
    <message>
        <source>exact</source>
        <translation>exakt</translation>
    </message>
    <message>
        <source>converted</source>
        <translation>umgewandelt</translation>
    </message>
    <message>
        <source>stored dense</source>
        <translation>dicht gespeichert</translation>
    </message>
    <message>
        <source>not expressible</source>
        <translation>nicht darstellbar</translation>
    </message>
    <message>
        <source>Tensor</source>
        <translation>Tensor</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Quelle</translation>
    </message>
    <message>
        <source>Becomes</source>
        <translation>Wird zu</translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <source>Max error</source>
        <translation>Max. Fehler</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Hinweis</translation>
    </message>
</context>
<context>
    <name>cwb::gui::HistogramChart</name>
    <message>
        <source>value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>count</source>
        <translation>Anzahl</translation>
    </message>
    <message>
        <source>No tensor selected</source>
        <translation>Kein Tensor ausgewählt</translation>
    </message>
    <message>
        <source>count (log scale)</source>
        <translation>Anzahl (logarithmisch)</translation>
    </message>
    <message>
        <source>original</source>
        <translation>Original</translation>
    </message>
</context>
<context>
    <name>cwb::gui::HistogramPanel</name>
    <message>
        <source>Log counts</source>
        <translation>Anzahl logarithmisch</translation>
    </message>
    <message>
        <source>Symmetric (±max)</source>
        <translation>Symmetrisch (±Max.)</translation>
    </message>
    <message>
        <source>Minimum to maximum</source>
        <translation>Minimum bis Maximum</translation>
    </message>
    <message>
        <source>Central 99.9 %</source>
        <translation>Mittlere 99,9 %</translation>
    </message>
    <message>
        <source>Value range covered by the bins</source>
        <translation>Wertebereich, den die Klassen abdecken</translation>
    </message>
    <message>
        <source>Logarithmic count axis: makes rare outlier values visible</source>
        <translation>Logarithmische Anzahl-Achse: macht seltene Ausreißer sichtbar</translation>
    </message>
    <message>
        <source>Range:</source>
        <translation>Bereich:</translation>
    </message>
    <message>
        <source>Select a tensor to see its histogram.</source>
        <translation>Wählen Sie einen Tensor aus, um sein Histogramm zu sehen.</translation>
    </message>
    <message>
        <source>No tensor named %1</source>
        <translation>Kein Tensor namens %1</translation>
    </message>
    <message>
        <source>Computing the histogram of %1…</source>
        <translation>Histogramm von %1 wird berechnet…</translation>
    </message>
    <message>
        <source>No histogram for %1</source>
        <translation>Kein Histogramm für %1</translation>
    </message>
    <message>
        <source>min</source>
        <translation>Min.</translation>
    </message>
    <message>
        <source>max</source>
        <translation>Max.</translation>
    </message>
    <message>
        <source>mean</source>
        <translation>Mittel</translation>
    </message>
    <message>
        <source>std</source>
        <translation>Std.-Abw.</translation>
    </message>
    <message>
        <source>zeros</source>
        <translation>Nullen</translation>
    </message>
    <message>
        <source>NaN</source>
        <translation>NaN</translation>
    </message>
    <message>
        <source>±Inf</source>
        <translation>±Inf</translation>
    </message>
    <message>
        <source>clipped</source>
        <translation>abgeschnitten</translation>
    </message>
    <message>
        <source>%1 values in %2 bins, computed in %3 ms</source>
        <translation>%1 Werte in %2 Klassen, berechnet in %3 ms</translation>
    </message>
    <message>
        <source>No comparison histogram: %1</source>
        <translation>Kein Vergleichshistogramm: %1</translation>
    </message>
    <message>
        <source>original</source>
        <translation>Original</translation>
    </message>
    <message>
        <source>Outline: %1, %2 values</source>
        <translation>Umriss: %1, %2 Werte</translation>
    </message>
    <message>
        <source>, %1 outside the bins</source>
        <translation>, %1 außerhalb der Klassen</translation>
    </message>
    <message>
        <source>Histogram of %1</source>
        <translation>Histogramm von %1</translation>
    </message>
    <message>
        <source>Histogram of %1 (%2)</source>
        <translation>Histogramm von %1 (%2)</translation>
    </message>
</context>
<context>
    <name>cwb::gui::InspectorWidget</name>
    <message>
        <source>Distribution of the tensor&apos;s values</source>
        <translation>Verteilung der Werte des Tensors</translation>
    </message>
    <message>
        <source>Singular values, cumulative energy and the ranks that keep 90/95/99 %</source>
        <translation>Singulärwerte, kumulierte Energie und die Ränge, die 90/95/99 % erhalten</translation>
    </message>
    <message>
        <source>Per-channel abs-max of the weights and of the input activations, outlier channels highlighted</source>
        <translation>Absolutmaximum je Kanal der Gewichte und der Eingabeaktivierungen, Ausreißerkanäle hervorgehoben</translation>
    </message>
    <message>
        <source>No tensor selected</source>
        <translation>Kein Tensor ausgewählt</translation>
    </message>
    <message>
        <source>Analyzing %1…</source>
        <translation>%1 wird analysiert…</translation>
    </message>
    <message>
        <source>%1 is not analyzed yet: Analysis → Analyze Model</source>
        <translation>%1 ist noch nicht analysiert: Analyse → Modell analysieren</translation>
    </message>
    <message>
        <source>%1 has no channels: it is a vector (1-D)</source>
        <translation>%1 hat keine Kanäle: Es ist ein Vektor (1-D)</translation>
    </message>
    <message>
        <source>%1 was not analyzed: %2</source>
        <translation>%1 wurde nicht analysiert: %2</translation>
    </message>
    <message>
        <source>Histogram</source>
        <translation>Histogramm</translation>
    </message>
    <message>
        <source>Spectrum</source>
        <translation>Spektrum</translation>
    </message>
    <message>
        <source>Channels</source>
        <translation>Kanäle</translation>
    </message>
    <message>
        <source>Decode compressed %1</source>
        <translation>Komprimiertes %1 dekodieren</translation>
    </message>
    <message>
        <source>compressed</source>
        <translation>komprimiert</translation>
    </message>
</context>
<context>
    <name>cwb::gui::JobService</name>
    <message>
        <source>The job stopped with an unknown error.</source>
        <translation>Der Auftrag wurde mit einem unbekannten Fehler beendet.</translation>
    </message>
</context>
<context>
    <name>cwb::gui::JobsPanel</name>
    <message>
        <source>Clear finished</source>
        <translation>Beendete entfernen</translation>
    </message>
    <message>
        <source>Remove finished, failed and cancelled jobs from the list</source>
        <translation>Beendete, fehlgeschlagene und abgebrochene Aufträge aus der Liste entfernen</translation>
    </message>
    <message>
        <source>No jobs yet. Long-running work (compression, analysis) shows up here with its progress.</source>
        <translation>Noch keine Aufträge. Lang laufende Arbeiten (Kompression, Analyse) erscheinen hier mit ihrem Fortschritt.</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1&#xa0;s</translation>
    </message>
    <message>
        <source>%1 min %2 s</source>
        <translation>%1&#xa0;min %2&#xa0;s</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1&#xa0;h %2&#xa0;min</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Stop this job</source>
        <translation>Diesen Auftrag anhalten</translation>
    </message>
    <message>
        <source>%1 · ETA %2</source>
        <translation>%1 · Rest %2</translation>
    </message>
    <message>
        <source>Elapsed time · estimated time left</source>
        <translation>Verstrichene Zeit · geschätzte Restzeit</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Wird gestartet…</translation>
    </message>
    <message>
        <source>Elapsed time</source>
        <translation>Verstrichene Zeit</translation>
    </message>
    <message>
        <source>Done in %1</source>
        <translation>Fertig in %1</translation>
    </message>
    <message>
        <source>Done in %1: %2</source>
        <translation>Fertig in %1: %2</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Abgebrochen</translation>
    </message>
    <message>
        <source>No jobs</source>
        <translation>Keine Aufträge</translation>
    </message>
    <message>
        <source>%1 running, %2 finished</source>
        <translation>%1 laufend, %2 beendet</translation>
    </message>
</context>
<context>
    <name>cwb::gui::LaunchOptions</name>
    <message>
        <source>Cannot write the screenshot %1</source>
        <translation>Das Bildschirmfoto %1 kann nicht geschrieben werden</translation>
    </message>
    <message>
        <source>Layer-by-layer compression workbench for neural networks.</source>
        <translation>Werkbank für die schichtweise Kompression neuronaler Netze.</translation>
    </message>
    <message>
        <source>Select TENSOR (canonical or original name).</source>
        <translation>TENSOR auswählen (kanonischer oder ursprünglicher Name).</translation>
    </message>
    <message>
        <source>Save the window as PNG to FILE once the histogram is shown, then quit.</source>
        <translation>Das Fenster als PNG in FILE speichern, sobald das Histogramm angezeigt wird, dann beenden.</translation>
    </message>
    <message>
        <source>Window size, e.g. 1280x800.</source>
        <translation>Fenstergröße, z. B. 1280x800.</translation>
    </message>
    <message>
        <source>Model file or Hugging Face directory to open.</source>
        <translation>Zu öffnende Modelldatei oder zu öffnendes Hugging-Face-Verzeichnis.</translation>
    </message>
    <message>
        <source>Only one model can be opened at a time.</source>
        <translation>Es kann immer nur ein Modell geöffnet werden.</translation>
    </message>
    <message>
        <source>Invalid window size &quot;%1&quot; (expected WIDTHxHEIGHT, e.g. 1280x800).</source>
        <translation>Ungültige Fenstergröße „%1“ (erwartet BREITExHÖHE, z. B. 1280x800).</translation>
    </message>
    <message>
        <source>Screenshot timed out.</source>
        <translation>Zeitüberschreitung beim Bildschirmfoto.</translation>
    </message>
    <message>
        <source>The model has no tensor named %1.</source>
        <translation>Das Modell hat keinen Tensor namens %1.</translation>
    </message>
    <message>
        <source>Start with a logarithmic count axis.</source>
        <translation>Mit logarithmischer Anzahl-Achse starten.</translation>
    </message>
    <message>
        <source>Show the Evaluate panel with TEXT as the text file.</source>
        <translation>Den Auswertungsbereich mit TEXT als Textdatei anzeigen.</translation>
    </message>
    <message>
        <source>Evaluation window length in tokens.</source>
        <translation>Fensterlänge der Auswertung in Token.</translation>
    </message>
    <message>
        <source>Windows to evaluate (0: all).</source>
        <translation>Auszuwertende Fenster (0: alle).</translation>
    </message>
    <message>
        <source>Also measure prefill and decode speed.</source>
        <translation>Auch Prefill- und Decode-Geschwindigkeit messen.</translation>
    </message>
    <message>
        <source>Start the evaluation once the model is open (a screenshot waits for it).</source>
        <translation>Die Auswertung starten, sobald das Modell geöffnet ist (ein Bildschirmfoto wartet darauf).</translation>
    </message>
    <message>
        <source>--run-evaluation needs a text file (--evaluate TEXT).</source>
        <translation>--run-evaluation braucht eine Textdatei (--evaluate TEXT).</translation>
    </message>
    <message>
        <source>Invalid --eval-ctx &quot;%1&quot; (expected a whole number of at least 2).</source>
        <translation>Ungültiges --eval-ctx „%1“ (erwartet eine ganze Zahl von mindestens 2).</translation>
    </message>
    <message>
        <source>Invalid --eval-chunks &quot;%1&quot; (expected 0 or a positive whole number).</source>
        <translation>Ungültiges --eval-chunks „%1“ (erwartet 0 oder eine positive ganze Zahl).</translation>
    </message>
    <message>
        <source>The evaluation could not be started.</source>
        <translation>Die Auswertung konnte nicht gestartet werden.</translation>
    </message>
    <message>
        <source>Start with the Evaluate panel hidden.</source>
        <translation>Mit ausgeblendetem Auswertungsbereich starten.</translation>
    </message>
    <message>
        <source>Analyze the model (with spectra) once it is open (a screenshot waits for it).</source>
        <translation>Das Modell (mit Spektren) analysieren, sobald es geöffnet ist (ein Bildschirmfoto wartet darauf).</translation>
    </message>
    <message>
        <source>With --analyze: collect activation statistics on TEXT.</source>
        <translation>Mit --analyze: Aktivierungsstatistiken auf TEXT sammeln.</translation>
    </message>
    <message>
        <source>With --analyze: a channel is an outlier above K times the median abs-max.</source>
        <translation>Mit --analyze: Ein Kanal ist ein Ausreißer über dem K-Fachen des Medians der Absolutmaxima.</translation>
    </message>
    <message>
        <source>Inspector tab to show: histogram, spectrum or channels.</source>
        <translation>Anzuzeigende Inspektor-Registerkarte: histogram, spectrum oder channels.</translation>
    </message>
    <message>
        <source>Show the Model Overview heat map, tall.</source>
        <translation>Die Heatmap der Modellübersicht groß anzeigen.</translation>
    </message>
    <message>
        <source>--calibration and --outlier-factor need --analyze.</source>
        <translation>--calibration und --outlier-factor benötigen --analyze.</translation>
    </message>
    <message>
        <source>Invalid --outlier-factor &quot;%1&quot; (expected a number above 1).</source>
        <translation>Ungültiger --outlier-factor „%1“ (erwartet: eine Zahl größer als 1).</translation>
    </message>
    <message>
        <source>Invalid --tab &quot;%1&quot; (expected histogram, spectrum or channels).</source>
        <translation>Ungültiger --tab „%1“ (erwartet: histogram, spectrum oder channels).</translation>
    </message>
    <message>
        <source>The analysis could not be started.</source>
        <translation>Die Analyse konnte nicht gestartet werden.</translation>
    </message>
    <message>
        <source>Load the compression recipe FILE into the Layer Plan.</source>
        <translation>Das Kompressionsrezept FILE in den Schichtplan laden.</translation>
    </message>
    <message>
        <source>Run the Layer Plan once the model is open (a screenshot waits for it).</source>
        <translation>Den Schichtplan ausführen, sobald das Modell geöffnet ist (ein Bildschirmfoto wartet darauf).</translation>
    </message>
    <message>
        <source>Calibration text for the compression.</source>
        <translation>Kalibrierungstext für die Kompression.</translation>
    </message>
    <message>
        <source>With --screenshot: take it while the evaluation, analysis and compression still run, once each shows progress in the Jobs dock.</source>
        <translation>Mit --screenshot: aufnehmen, während Auswertung, Analyse und Komprimierung noch laufen, sobald jede im Dock „Aufträge“ einen Fortschritt zeigt.</translation>
    </message>
    <message>
        <source>--while-running needs --screenshot FILE.</source>
        <translation>--while-running braucht --screenshot FILE.</translation>
    </message>
    <message>
        <source>Open File &gt; Export… for TARGET (gguf, safetensors, compressed-tensors, llm-compressor, llama.cpp, gptqmodel) once the model is open (and compressed); a screenshot shows the dialog&apos;s preview.</source>
        <translation>Datei &gt; Exportieren… für ZIEL (gguf, safetensors, compressed-tensors, llm-compressor, llama.cpp, gptqmodel) öffnen, sobald das Modell offen (und komprimiert) ist; ein Bildschirmfoto zeigt die Vorschau des Dialogs.</translation>
    </message>
    <message>
        <source>With --export: the file or directory to write.</source>
        <translation>Mit --export: die zu schreibende Datei oder das Verzeichnis.</translation>
    </message>
    <message>
        <source>With --export: run the export (a screenshot shows the verification).</source>
        <translation>Mit --export: den Export ausführen (ein Bildschirmfoto zeigt die Prüfung).</translation>
    </message>
    <message>
        <source>Invalid --export &quot;%1&quot; (expected gguf, safetensors, compressed-tensors, llm-compressor, llama.cpp or gptqmodel).</source>
        <translation>Ungültiges --export „%1“ (erwartet: gguf, safetensors, compressed-tensors, llm-compressor, llama.cpp oder gptqmodel).</translation>
    </message>
    <message>
        <source>--export-out and --run-export need --export TARGET.</source>
        <translation>--export-out und --run-export brauchen --export ZIEL.</translation>
    </message>
    <message>
        <source>The export did not finish in time.</source>
        <translation>Der Export wurde nicht rechtzeitig fertig.</translation>
    </message>
    <message>
        <source>Measure the sensitivity on TEXT once the model is open (a screenshot waits for it and shows the Model Overview&apos;s Sensitivity tab).</source>
        <translation>Die Empfindlichkeit auf TEXT messen, sobald das Modell geöffnet ist (ein Bildschirmfoto wartet darauf und zeigt den Reiter Empfindlichkeit der Modellübersicht).</translation>
    </message>
    <message>
        <source>Open the project FILE once the model is open: its analysis, sensitivity table and evaluation history (a screenshot waits for it).</source>
        <translation>Das Projekt FILE öffnen, sobald das Modell geöffnet ist: seine Analyse, Empfindlichkeitstabelle und sein Auswertungsverlauf (ein Bildschirmfoto wartet darauf).</translation>
    </message>
    <message>
        <source>Show VIEW tall: tradeoffs (the Trade-offs dock) or sensitivity (the Model Overview&apos;s Sensitivity tab).</source>
        <translation>VIEW hoch anzeigen: tradeoffs (das Dock „Abwägungen“) oder sensitivity (den Reiter „Empfindlichkeit“ der Modellübersicht).</translation>
    </message>
    <message>
        <source>Invalid --show &quot;%1&quot; (expected tradeoffs or sensitivity).</source>
        <translation>Ungültiges --show „%1“ (erwartet: tradeoffs oder sensitivity).</translation>
    </message>
    <message>
        <source>--project needs the project&apos;s model as well.</source>
        <translation>--project braucht auch das Modell des Projekts.</translation>
    </message>
    <message>
        <source>The project could not be opened.</source>
        <translation>Das Projekt konnte nicht geöffnet werden.</translation>
    </message>
    <message>
        <source>A side of a comparison, given twice (A, then B): &quot;model&quot; (the open model), &quot;compressed&quot; (its compression by --compress) or a model or .cwbarchive file; the comparison runs once the model is open (a screenshot waits for it).</source>
        <translation>Eine Seite eines Vergleichs, zweimal angegeben (A, dann B): „model“ (das geöffnete Modell), „compressed“ (seine Komprimierung durch --compress) oder eine Modell- oder .cwbarchive-Datei; der Vergleich läuft, sobald das Modell geöffnet ist (ein Bildschirmfoto wartet darauf).</translation>
    </message>
    <message>
        <source>With --compare: the evaluation text, cut into documents at blank lines.</source>
        <translation>Mit --compare: der Auswertungstext, an Leerzeilen in Dokumente geteilt.</translation>
    </message>
    <message>
        <source>With --compare: a slice file (repeatable), instead of --compare-text.</source>
        <translation>Mit --compare: eine Abschnittsdatei (wiederholbar), statt --compare-text.</translation>
    </message>
    <message>
        <source>With --compare: window length in tokens.</source>
        <translation>Mit --compare: Fensterlänge in Token.</translation>
    </message>
    <message>
        <source>With --compare: windows in all (0: all).</source>
        <translation>Mit --compare: Fenster insgesamt (0: alle).</translation>
    </message>
    <message>
        <source>With --compare: the tab beside the slice table: errors, histograms or behaviour.</source>
        <translation>Mit --compare: der Reiter neben der Abschnittstabelle: errors, histograms oder behaviour.</translation>
    </message>
    <message>
        <source>--compare is given twice: side A, then side B.</source>
        <translation>--compare wird zweimal angegeben: Seite A, dann Seite B.</translation>
    </message>
    <message>
        <source>--compare needs either --compare-text or --compare-slices.</source>
        <translation>--compare braucht entweder --compare-text oder --compare-slices.</translation>
    </message>
    <message>
        <source>--compare-text, --compare-slices, --compare-ctx, --compare-chunks and --compare-tab need --compare.</source>
        <translation>--compare-text, --compare-slices, --compare-ctx, --compare-chunks und --compare-tab brauchen --compare.</translation>
    </message>
    <message>
        <source>--compare compressed needs --compress.</source>
        <translation>--compare compressed braucht --compress.</translation>
    </message>
    <message>
        <source>Invalid --compare-tab &quot;%1&quot; (expected errors, histograms or behaviour).</source>
        <translation>Ungültiges --compare-tab „%1“ (erwartet: errors, histograms oder behaviour).</translation>
    </message>
    <message>
        <source>Invalid --compare-ctx &quot;%1&quot; (expected a whole number of at least 2).</source>
        <translation>Ungültiges --compare-ctx „%1“ (erwartet: eine ganze Zahl ab 2).</translation>
    </message>
    <message>
        <source>Invalid --compare-chunks &quot;%1&quot; (expected 0 or a positive whole number).</source>
        <translation>Ungültiges --compare-chunks „%1“ (erwartet: 0 oder eine positive ganze Zahl).</translation>
    </message>
    <message>
        <source>Score FFN channels, KV groups and blocks on TEXT once the model is open (a screenshot waits for it and shows the Model Overview&apos;s Structures tab).</source>
        <translation>FFN-Kanäle, KV-Gruppen und Blöcke auf TEXT bewerten, sobald das Modell geöffnet ist (ein Bildschirmfoto wartet darauf und zeigt den Reiter „Strukturen“ der Modellübersicht).</translation>
    </message>
</context>
<context>
    <name>cwb::gui::LayerErrorChart</name>
    <message>
        <source>Log scale</source>
        <translation>Logarithmisch</translation>
    </message>
    <message>
        <source>Metric:</source>
        <translation>Metrik:</translation>
    </message>
    <message>
        <source>Which per-tensor error the bars show</source>
        <translation>Welchen Fehler je Tensor die Balken zeigen</translation>
    </message>
    <message>
        <source>Logarithmic value axis: small and large errors side by side</source>
        <translation>Logarithmische Werteachse: kleine und große Fehler nebeneinander</translation>
    </message>
    <message>
        <source>attention</source>
        <translation>Attention</translation>
    </message>
    <message>
        <source>MLP</source>
        <translation>MLP</translation>
    </message>
    <message>
        <source>other</source>
        <translation>Sonstige</translation>
    </message>
    <message>
        <source>No compression results</source>
        <translation>Keine Kompressionsergebnisse</translation>
    </message>
    <message>
        <source>%1: %2 (%3)</source>
        <translation>%1: %2 (%3)</translation>
    </message>
    <message>
        <source>Point at a bar to see its tensor and value.</source>
        <translation>Zeigen Sie auf einen Balken, um seinen Tensor und Wert zu sehen.</translation>
    </message>
    <message>
        <source>No value of %1 can be drawn on a log scale</source>
        <translation>Kein Wert von %1 lässt sich logarithmisch darstellen</translation>
    </message>
</context>
<context>
    <name>cwb::gui::LayerPlanDelegate</name>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>Needs calibration text</source>
        <translation>Benötigt einen Kalibrierungstext</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>auto</translation>
    </message>
    <message>
        <source>true</source>
        <translation>true</translation>
    </message>
    <message>
        <source>false</source>
        <translation>false</translation>
    </message>
</context>
<context>
    <name>cwb::gui::LayerPlanModel</name>
    <message>
        <source>Error: %1</source>
        <translation>Fehler: %1</translation>
    </message>
    <message>
        <source>Warning: %1</source>
        <translation>Warnung: %1</translation>
    </message>
    <message>
        <source>quantize</source>
        <translation>Quantisierung</translation>
    </message>
    <message>
        <source>bits</source>
        <translation>Bits</translation>
    </message>
    <message>
        <source>group</source>
        <translation>Gruppe</translation>
    </message>
    <message>
        <source>prune</source>
        <translation>Pruning</translation>
    </message>
    <message>
        <source>sparsity</source>
        <translation>Sparsität</translation>
    </message>
    <message>
        <source>N:M</source>
        <translation>N:M</translation>
    </message>
    <message>
        <source>low rank</source>
        <translation>Low-Rank</translation>
    </message>
    <message>
        <source>rank</source>
        <translation>Rang</translation>
    </message>
    <message>
        <source>%1 has no %2 to fill down</source>
        <translation>%1 hat keinen Wert für %2, der nach unten ausgefüllt werden könnte</translation>
    </message>
    <message>
        <source>this row</source>
        <translation>diese Zeile</translation>
    </message>
    <message>
        <source>Select rows below the current one to fill down</source>
        <translation>Wählen Sie zum Ausfüllen nach unten Zeilen unterhalb der aktuellen aus</translation>
    </message>
    <message>
        <source>%1: %2 is not a value for %3</source>
        <translation>%1: %2 ist kein gültiger Wert für %3</translation>
    </message>
    <message>
        <source>%1: %2 %3: %4</source>
        <translation>%1: %2 %3: %4</translation>
    </message>
    <message>
        <source>%1 tensors</source>
        <translation>%1 Tensoren</translation>
    </message>
    <message>
        <source>Fill down %1 = %2 on %3</source>
        <translation>Nach unten ausfüllen: %1 = %2 für %3</translation>
    </message>
    <message>
        <source>Set %1 = %2 on %3</source>
        <translation>%1 = %2 für %3 setzen</translation>
    </message>
    <message>
        <source>Clear overrides on %1</source>
        <translation>%1 zurücksetzen</translation>
    </message>
    <message>
        <source>model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>other</source>
        <translation>Sonstige</translation>
    </message>
    <message>
        <source>%1 tensors, %2 compressed</source>
        <translation>%1 Tensoren, %2 komprimiert</translation>
    </message>
    <message>
        <source>Embedding, output head and final norm</source>
        <translation>Einbettung, Ausgabekopf und abschließende Normierung</translation>
    </message>
    <message>
        <source>Tensors without a canonical role (unknown to the architecture adapter)</source>
        <translation>Tensoren ohne kanonische Rolle (dem Architekturadapter unbekannt)</translation>
    </message>
    <message>
        <source>%1 tensors with plan errors</source>
        <translation>%1 Tensoren mit Planfehlern</translation>
    </message>
    <message>
        <source>%1 tensors with warnings</source>
        <translation>%1 Tensoren mit Warnungen</translation>
    </message>
    <message>
        <source>Largest relative error in the group</source>
        <translation>Größter relativer Fehler in der Gruppe</translation>
    </message>
    <message>
        <source>row</source>
        <translation>Zeile</translation>
    </message>
    <message>
        <source>tensor</source>
        <translation>Tensor</translation>
    </message>
    <message>
        <source>auto</source>
        <translation>auto</translation>
    </message>
    <message>
        <source>%1
Original name: %2
Shape: %3, stored as %4</source>
        <translation>%1
Ursprünglicher Name: %2
Form: %3, gespeichert als %4</translation>
    </message>
    <message>
        <source>Same values as %1</source>
        <translation>Gleiche Werte wie %1</translation>
    </message>
    <message>
        <source>Edited: override &quot;%1&quot;</source>
        <translation>Bearbeitet: Überschreibung „%1“</translation>
    </message>
    <message>
        <source>Why: %1</source>
        <translation>Warum: %1</translation>
    </message>
    <message>
        <source>Estimated bytes: codes %1, scales %2, zero points %3, masks %4, other %5</source>
        <translation>Geschätzte Bytes: Codes %1, Skalen %2, Nullpunkte %3, Masken %4, Sonstiges %5</translation>
    </message>
    <message>
        <source>Estimate: %1 bytes (stored now: %2 bytes)</source>
        <translation>Schätzung: %1 Bytes (jetzt gespeichert: %2 Bytes)</translation>
    </message>
    <message>
        <source>A copy of %1 planned alike: counted once in the totals</source>
        <translation>Eine gleich geplante Kopie von %1: in den Summen nur einmal gezählt</translation>
    </message>
    <message>
        <source>Relative error of the last compression run</source>
        <translation>Relativer Fehler des letzten Kompressionslaufs</translation>
    </message>
    <message>
        <source>none</source>
        <translation>keine</translation>
    </message>
    <message>
        <source>Set by %1</source>
        <translation>Festgelegt durch %1</translation>
    </message>
    <message>
        <source>%1 %2: %3 (allowed: %4)</source>
        <translation>%1 %2: %3 (zulässig: %4)</translation>
    </message>
    <message>
        <source>%1 + mask</source>
        <translation>%1 + Maske</translation>
    </message>
    <message>
        <source>rank %1: %2</source>
        <translation>Rang %1: %2</translation>
    </message>
    <message>
        <source>rank auto: %1</source>
        <translation>Rang auto: %1</translation>
    </message>
    <message>
        <source>Quantization method (keep: leave as stored)</source>
        <translation>Quantisierungsmethode (keep: wie gespeichert belassen)</translation>
    </message>
    <message>
        <source>Bits per weight code (integer grids)</source>
        <translation>Bits pro Gewichtscode (ganzzahlige Raster)</translation>
    </message>
    <message>
        <source>Weights of a row sharing one scale: row = one per output channel, tensor = one per tensor (nf4: its block size)</source>
        <translation>Gewichte einer Zeile, die sich einen Skalenfaktor teilen: Zeile = einer pro Ausgabekanal, Tensor = einer pro Tensor (nf4: seine Blockgröße)</translation>
    </message>
    <message>
        <source>How the tensor will be stored</source>
        <translation>Wie der Tensor gespeichert wird</translation>
    </message>
    <message>
        <source>Pruning method</source>
        <translation>Pruning-Methode</translation>
    </message>
    <message>
        <source>Fraction of weights set to zero</source>
        <translation>Anteil der auf null gesetzten Gewichte</translation>
    </message>
    <message>
        <source>N:M structured sparsity (at most N non-zeros in every M weights)</source>
        <translation>Strukturierte N:M-Sparsität (höchstens N von null verschiedene Werte in je M Gewichten)</translation>
    </message>
    <message>
        <source>Singular values kept (auto: from the spectrum at run time)</source>
        <translation>Beibehaltene Singulärwerte (auto: zur Laufzeit aus dem Spektrum)</translation>
    </message>
    <message>
        <source>Estimated stored bytes: computed from shapes and settings, no data read</source>
        <translation>Geschätzte gespeicherte Bytes: aus Formen und Einstellungen berechnet, ohne Daten zu lesen</translation>
    </message>
    <message>
        <source>Estimated stored bits per weight: computed from shapes and settings, no data read</source>
        <translation>Geschätzte gespeicherte Bits pro Gewicht: aus Formen und Einstellungen berechnet, ohne Daten zu lesen</translation>
    </message>
    <message>
        <source>Relative error of each tensor in the last compression run</source>
        <translation>Relativer Fehler jedes Tensors im letzten Kompressionslauf</translation>
    </message>
    <message>
        <source>Tensor</source>
        <translation>Tensor</translation>
    </message>
    <message>
        <source>Quantize</source>
        <translation>Quant.</translation>
    </message>
    <message>
        <source>Bits</source>
        <translation>Bits</translation>
    </message>
    <message>
        <source>Group</source>
        <translation>Gruppe</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>Format</translation>
    </message>
    <message>
        <source>Prune</source>
        <translation>Pruning</translation>
    </message>
    <message>
        <source>Sparsity</source>
        <translation>Sparsität</translation>
    </message>
    <message>
        <source>Low rank</source>
        <translation>Low-Rank</translation>
    </message>
    <message>
        <source>Rank</source>
        <translation>Rang</translation>
    </message>
    <message>
        <source>Est. bytes</source>
        <translation>Bytes (ca.)</translation>
    </message>
    <message>
        <source>Bits/weight</source>
        <translation>Bit/Gewicht</translation>
    </message>
    <message>
        <source>Last error</source>
        <translation>Letzter Fehler</translation>
    </message>
    <message>
        <source>row (-1)</source>
        <translation>Zeile (-1)</translation>
    </message>
    <message>
        <source>tensor (0)</source>
        <translation>Tensor (0)</translation>
    </message>
    <message>
        <source>Low-rank factorization W ≈ A·B</source>
        <translation>Low-Rank-Faktorisierung W ≈ A·B</translation>
    </message>
    <message>
        <source>structure</source>
        <translation>Struktur</translation>
    </message>
    <message>
        <source>keep</source>
        <translation>behalten</translation>
    </message>
    <message>
        <source>%1 dropped</source>
        <translation>%1 entfernt</translation>
    </message>
    <message>
        <source>%1 → %2</source>
        <translation>%1 → %2</translation>
    </message>
    <message>
        <source>Structure removed: FFN channels, KV groups (a KV head with its query heads) or the whole block, set alike on the structure&apos;s tensors</source>
        <translation>Entfernte Struktur: FFN-Kanäle, KV-Gruppen (ein KV-Kopf mit seinen Query-Köpfen) oder der ganze Block, gleich gesetzt auf allen Tensoren der Struktur</translation>
    </message>
    <message>
        <source>Fraction of the layer&apos;s channels or KV groups kept</source>
        <translation>Anteil der behaltenen Kanäle oder KV-Gruppen der Schicht</translation>
    </message>
    <message>
        <source>Shape, and the shape after the structure step</source>
        <translation>Form, und die Form nach dem Strukturschritt</translation>
    </message>
    <message>
        <source>Structure</source>
        <translation>Struktur</translation>
    </message>
    <message>
        <source>Keep</source>
        <translation>Behalten</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>Form</translation>
    </message>
    <message>
        <source>removed with its block</source>
        <translation>mit seinem Block entfernt</translation>
    </message>
</context>
<context>
    <name>cwb::gui::LayerPlanView</name>
    <message>
        <source>Undo</source>
        <translation>Rückgängig</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>Wiederholen</translation>
    </message>
    <message>
        <source>Fill Down</source>
        <translation>Nach unten ausfüllen</translation>
    </message>
    <message>
        <source>Copy the current cell&apos;s value into the selected rows below it (Ctrl+D)</source>
        <translation>Den Wert der aktuellen Zelle in die ausgewählten Zeilen darunter kopieren (Strg+D)</translation>
    </message>
    <message>
        <source>Clear Overrides</source>
        <translation>Zurücksetzen</translation>
    </message>
    <message>
        <source>Give the selected tensors back to the recipe&apos;s defaults and rules</source>
        <translation>Die ausgewählten Tensoren auf die Vorgaben und Regeln des Rezepts zurücksetzen</translation>
    </message>
    <message>
        <source>Import Recipe…</source>
        <translation>Rezept importieren…</translation>
    </message>
    <message>
        <source>Replace the plan with a recipe file</source>
        <translation>Den Plan durch eine Rezeptdatei ersetzen</translation>
    </message>
    <message>
        <source>Export Recipe…</source>
        <translation>Rezept exportieren…</translation>
    </message>
    <message>
        <source>Save the plan as a recipe file (runs with cwb compress --plan)</source>
        <translation>Den Plan als Rezeptdatei speichern (ausführbar mit cwb compress --plan)</translation>
    </message>
    <message>
        <source>No model</source>
        <translation>Kein Modell</translation>
    </message>
    <message>
        <source>%1× smaller</source>
        <translation>%1× kleiner</translation>
    </message>
    <message>
        <source>%1 of %2 tensors compressed (%3 edited) · estimated %4 of %5 · %6 bits/weight (now %7) · %8</source>
        <translation>%1 von %2 Tensoren komprimiert (%3 bearbeitet) · geschätzt %4 von %5 · %6 Bit/Gewicht (jetzt %7) · %8</translation>
    </message>
    <message>
        <source>Sizes are estimates computed from shapes and settings; no data is read until the plan runs.</source>
        <translation>Die Größen sind aus Formen und Einstellungen berechnete Schätzungen; bis der Plan läuft, werden keine Daten gelesen.</translation>
    </message>
    <message>
        <source>No plan problems</source>
        <translation>Keine Probleme im Plan</translation>
    </message>
    <message>
        <source>Errors: %1 · Warnings: %2</source>
        <translation>Fehler: %1 · Warnungen: %2</translation>
    </message>
    <message>
        <source>Error: %1</source>
        <translation>Fehler: %1</translation>
    </message>
    <message>
        <source>Warning: %1</source>
        <translation>Warnung: %1</translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation>… und %1 weitere</translation>
    </message>
    <message>
        <source>Import recipe %1</source>
        <translation>Rezept %1 importieren</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <source>Import Recipe</source>
        <translation>Rezept importieren</translation>
    </message>
    <message>
        <source>Recipes (*.json);;All files (*)</source>
        <translation>Rezepte (*.json);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Export Recipe</source>
        <translation>Rezept exportieren</translation>
    </message>
    <message>
        <source>%1 of %2 parameters kept (%3%)</source>
        <translation>%1 von %2 Parametern behalten (%3 %)</translation>
    </message>
</context>
<context>
    <name>cwb::gui::MainWindow</name>
    <message>
        <source>Compression Workbench</source>
        <translation>Compression Workbench</translation>
    </message>
    <message>
        <source>Filter tensors by name, shape or type</source>
        <translation>Tensoren nach Name, Form oder Typ filtern</translation>
    </message>
    <message>
        <source>No model open. Use File → Open, or drop a model file or folder here.</source>
        <translation>Kein Modell geöffnet. Verwenden Sie Datei → Öffnen oder ziehen Sie eine Modelldatei oder einen Ordner hierher.</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;Open Model File…</source>
        <translation>Modelldatei &amp;öffnen…</translation>
    </message>
    <message>
        <source>Open a GGUF, safetensors, llama2.c or Keras model file</source>
        <translation>Eine GGUF-, safetensors-, llama2.c- oder Keras-Modelldatei öffnen</translation>
    </message>
    <message>
        <source>Open Model &amp;Directory…</source>
        <translation>Modell&amp;verzeichnis öffnen…</translation>
    </message>
    <message>
        <source>Open a Hugging Face model directory (config.json and weights)</source>
        <translation>Ein Hugging-Face-Modellverzeichnis öffnen (config.json und Gewichte)</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>&amp;Zuletzt geöffnet</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>&amp;Expand All</source>
        <translation>Alle &amp;aufklappen</translation>
    </message>
    <message>
        <source>&amp;Collapse All</source>
        <translation>Alle &amp;zuklappen</translation>
    </message>
    <message>
        <source>Show &amp;Original Names</source>
        <translation>&amp;Ursprüngliche Namen anzeigen</translation>
    </message>
    <message>
        <source>&amp;Filter Tensors</source>
        <translation>Tensoren &amp;filtern</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>&amp;Einstellungen</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>&amp;About Compression Workbench</source>
        <translation>&amp;Über Compression Workbench</translation>
    </message>
    <message>
        <source>About &amp;Qt</source>
        <translation>Über &amp;Qt</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>&amp;Sprache</translation>
    </message>
    <message>
        <source>System Default</source>
        <translation>Systemvorgabe</translation>
    </message>
    <message>
        <source>English</source>
        <translation>English</translation>
    </message>
    <message>
        <source>Deutsch</source>
        <translation>Deutsch</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Sprache</translation>
    </message>
    <message>
        <source>The new language takes effect when Compression Workbench is started the next time.</source>
        <translation>Die neue Sprache gilt ab dem nächsten Start von Compression Workbench.</translation>
    </message>
    <message>
        <source>Open Model File</source>
        <translation>Modelldatei öffnen</translation>
    </message>
    <message>
        <source>Models (*.gguf *.safetensors *.json *.bin *.h5 *.hdf5 *.keras);;All files (*)</source>
        <translation>Modelle (*.gguf *.safetensors *.json *.bin *.h5 *.hdf5 *.keras);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Open Model Directory</source>
        <translation>Modellverzeichnis öffnen</translation>
    </message>
    <message>
        <source>&amp;Clear List</source>
        <translation>Liste &amp;leeren</translation>
    </message>
    <message>
        <source>Opening %1…</source>
        <translation>%1 wird geöffnet…</translation>
    </message>
    <message>
        <source>%1 – Compression Workbench</source>
        <translation>%1 – Compression Workbench</translation>
    </message>
    <message>
        <source>Cannot Open Model</source>
        <translation>Modell kann nicht geöffnet werden</translation>
    </message>
    <message>
        <source>Could not open %1.</source>
        <translation>%1 konnte nicht geöffnet werden.</translation>
    </message>
    <message>
        <source>About Compression Workbench</source>
        <translation>Über Compression Workbench</translation>
    </message>
    <message>
        <source>Evaluate</source>
        <translation>Auswerten</translation>
    </message>
    <message>
        <source>Evaluation Runs</source>
        <translation>Auswertungsläufe</translation>
    </message>
    <message>
        <source>E&amp;valuate Panel</source>
        <translation>Aus&amp;wertungsbereich</translation>
    </message>
    <message>
        <source>Evaluation &amp;Runs</source>
        <translation>Auswertungs&amp;läufe</translation>
    </message>
    <message>
        <source>Model Overview</source>
        <translation>Modellübersicht</translation>
    </message>
    <message>
        <source>Model &amp;Overview</source>
        <translation>Modell&amp;übersicht</translation>
    </message>
    <message>
        <source>&amp;Analysis</source>
        <translation>A&amp;nalyse</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Aufträge</translation>
    </message>
    <message>
        <source>Compression Errors</source>
        <translation>Kompressionsfehler</translation>
    </message>
    <message>
        <source>Layer Plan</source>
        <translation>Schichtplan</translation>
    </message>
    <message>
        <source>&amp;Layer Plan</source>
        <translation>&amp;Schichtplan</translation>
    </message>
    <message>
        <source>Compression &amp;Errors</source>
        <translation>&amp;Kompressionsfehler</translation>
    </message>
    <message>
        <source>&amp;Jobs</source>
        <translation>Auf&amp;träge</translation>
    </message>
    <message>
        <source>&amp;Compress</source>
        <translation>&amp;Komprimieren</translation>
    </message>
    <message>
        <source>&amp;Run Plan</source>
        <translation>Plan &amp;ausführen</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>A&amp;bbrechen</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>&amp;Exportieren…</translation>
    </message>
    <message>
        <source>Write the model or its compression for llama.cpp, vLLM or Hugging Face, or the plan as another tool&apos;s recipe</source>
        <translation>Das Modell oder seine Kompression für llama.cpp, vLLM oder Hugging Face schreiben, oder den Plan als Rezept eines anderen Werkzeugs</translation>
    </message>
    <message>
        <source>Trade-offs</source>
        <translation>Abwägungen</translation>
    </message>
    <message>
        <source>Load the recipe of %1</source>
        <translation>Rezept von %1 laden</translation>
    </message>
    <message>
        <source>Cannot load the recipe of %1: %2</source>
        <translation>Das Rezept von %1 kann nicht geladen werden: %2</translation>
    </message>
    <message>
        <source>Loaded the recipe of %1 into the Layer Plan (Undo restores the previous plan)</source>
        <translation>Rezept von %1 in den Schichtplan geladen (Rückgängig stellt den vorigen Plan wieder her)</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>Schichten</translation>
    </message>
    <message>
        <source>Sensitivity</source>
        <translation>Empfindlichkeit</translation>
    </message>
    <message>
        <source>Measure &amp;Sensitivity…</source>
        <translation>&amp;Empfindlichkeit messen…</translation>
    </message>
    <message>
        <source>Calibration Text for the Sensitivity</source>
        <translation>Kalibrierungstext für die Empfindlichkeit</translation>
    </message>
    <message>
        <source>Text files (*.txt);;All files (*)</source>
        <translation>Textdateien (*.txt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Run S&amp;weep…</source>
        <translation>S&amp;weep ausführen…</translation>
    </message>
    <message>
        <source>&amp;Evaluate</source>
        <translation>Aus&amp;werten</translation>
    </message>
    <message>
        <source>Compare</source>
        <translation>Vergleich</translation>
    </message>
    <message>
        <source>Compare &amp;Runs…</source>
        <translation>&amp;Läufe vergleichen…</translation>
    </message>
    <message>
        <source>Compare two runs before and after: per-slice perplexity and KLD, per-tensor errors, greedy continuations</source>
        <translation>Zwei Läufe vorher und nachher vergleichen: Perplexität und KLD je Abschnitt, Fehler je Tensor, gierige Fortsetzungen</translation>
    </message>
    <message>
        <source>Compare the Two Selected Runs</source>
        <translation>Die zwei ausgewählten Läufe vergleichen</translation>
    </message>
    <message>
        <source>Select two evaluation runs to compare.</source>
        <translation>Zwei Auswertungsläufe zum Vergleichen auswählen.</translation>
    </message>
    <message>
        <source>Structures</source>
        <translation>Strukturen</translation>
    </message>
    <message>
        <source>Score S&amp;tructures…</source>
        <translation>S&amp;trukturen bewerten…</translation>
    </message>
    <message>
        <source>Calibration Text for the Structures</source>
        <translation>Kalibrierungstext für die Strukturen</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Compression Workbench %1&lt;/h3&gt;&lt;p&gt;Look at every layer of a neural network, choose how to compress it, and measure what that costs.&lt;/p&gt;&lt;p&gt;Kernels: %2&lt;/p&gt;&lt;p&gt;Licensed under the MIT License.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Compression Workbench %1&lt;/h3&gt;&lt;p&gt;Jede Schicht eines neuronalen Netzes untersuchen, entscheiden, wie sie komprimiert wird, und messen, was das kostet.&lt;/p&gt;&lt;p&gt;Rechenkerne: %2&lt;/p&gt;&lt;p&gt;Lizenziert unter der MIT-Lizenz.&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>cwb::gui::ModelSummary</name>
    <message>
        <source>Hugging Face directory</source>
        <translation>Hugging-Face-Verzeichnis</translation>
    </message>
    <message>
        <source>Keras HDF5</source>
        <translation>Keras-HDF5</translation>
    </message>
    <message>
        <source>unknown format</source>
        <translation>unbekanntes Format</translation>
    </message>
    <message>
        <source>%1 tensors</source>
        <translation>%1 Tensoren</translation>
    </message>
    <message>
        <source>%1 without a canonical name</source>
        <translation>%1 ohne kanonischen Namen</translation>
    </message>
    <message>
        <source>%1 parameters</source>
        <translation>%1 Parameter</translation>
    </message>
    <message>
        <source>%1 bits/weight</source>
        <translation>%1 Bit/Gewicht</translation>
    </message>
</context>
<context>
    <name>cwb::gui::ModelTreeModel</name>
    <message>
        <source>model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>other</source>
        <translation>Sonstige</translation>
    </message>
    <message>
        <source>%1 tensors</source>
        <translation>%1 Tensoren</translation>
    </message>
    <message>
        <source>Embedding, output head and final norm</source>
        <translation>Einbettung, Ausgabekopf und abschließende Normierung</translation>
    </message>
    <message>
        <source>Tensors without a canonical role (unknown to the architecture adapter)</source>
        <translation>Tensoren ohne kanonische Rolle (dem Architekturadapter unbekannt)</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>Original name: %1</source>
        <translation>Ursprünglicher Name: %1</translation>
    </message>
    <message>
        <source>No canonical role: the architecture adapter does not know this tensor</source>
        <translation>Keine kanonische Rolle: Der Architekturadapter kennt diesen Tensor nicht</translation>
    </message>
    <message>
        <source>Same values as %1 (counted once in the totals)</source>
        <translation>Gleiche Werte wie %1 (in den Summen nur einmal gezählt)</translation>
    </message>
    <message>
        <source>Stored bits per parameter</source>
        <translation>Gespeicherte Bits pro Parameter</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Original name</source>
        <translation>Ursprünglicher Name</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>Form</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Typ</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Parameter</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <source>Bits/weight</source>
        <translation>Bit/Gewicht</translation>
    </message>
</context>
<context>
    <name>cwb::gui::OverviewGrid</name>
    <message>
        <source>abs-max</source>
        <translation>Absolutmaximum</translation>
    </message>
    <message>
        <source>standard deviation</source>
        <translation>Standardabweichung</translation>
    </message>
    <message>
        <source>kurtosis (excess)</source>
        <translation>Kurtosis (Exzess)</translation>
    </message>
    <message>
        <source>outlier channels</source>
        <translation>Ausreißerkanäle</translation>
    </message>
    <message>
        <source>stable rank</source>
        <translation>stabiler Rang</translation>
    </message>
    <message>
        <source>effective rank</source>
        <translation>effektiver Rang</translation>
    </message>
    <message>
        <source>energy rank 90 %</source>
        <translation>Energierang 90 %</translation>
    </message>
    <message>
        <source>energy rank 99 %</source>
        <translation>Energierang 99 %</translation>
    </message>
    <message>
        <source>power-law alpha</source>
        <translation>Potenzgesetz-Alpha</translation>
    </message>
    <message>
        <source>activation abs-max</source>
        <translation>Aktivierungs-Absolutmaximum</translation>
    </message>
    <message>
        <source>activation outlier channels</source>
        <translation>Aktivierungs-Ausreißerkanäle</translation>
    </message>
    <message>
        <source>model</source>
        <translation>Modell</translation>
    </message>
</context>
<context>
    <name>cwb::gui::OverviewHeatmap</name>
    <message>
        <source>No analysis results</source>
        <translation>Keine Analyseergebnisse</translation>
    </message>
    <message>
        <source>layer</source>
        <translation>Schicht</translation>
    </message>
    <message>
        <source>no value</source>
        <translation>kein Wert</translation>
    </message>
    <message>
        <source>%1
%2: %3</source>
        <translation>%1
%2: %3</translation>
    </message>
</context>
<context>
    <name>cwb::gui::OverviewPanel</name>
    <message>
        <source>&amp;Metric:</source>
        <translation>&amp;Metrik:</translation>
    </message>
    <message>
        <source>No model open</source>
        <translation>Kein Modell geöffnet</translation>
    </message>
    <message>
        <source>No tensor of this model has a known role</source>
        <translation>Kein Tensor dieses Modells hat eine bekannte Rolle</translation>
    </message>
    <message>
        <source>Analyzing…</source>
        <translation>Wird analysiert…</translation>
    </message>
    <message>
        <source>Not analyzed yet: Analysis → Analyze Model</source>
        <translation>Noch nicht analysiert: Analyse → Modell analysieren</translation>
    </message>
    <message>
        <source>No values: this metric needs the analysis with singular-value spectra.</source>
        <translation>Keine Werte: Diese Metrik benötigt die Analyse mit Singulärwert-Spektren.</translation>
    </message>
    <message>
        <source>No values: this metric needs the analysis with a calibration text.</source>
        <translation>Keine Werte: Diese Metrik benötigt die Analyse mit einem Kalibrierungstext.</translation>
    </message>
    <message>
        <source>Click a cell to select its tensor. Grey cells have no value.</source>
        <translation>Klicken Sie auf eine Zelle, um ihren Tensor auszuwählen. Graue Zellen haben keinen Wert.</translation>
    </message>
    <message>
        <source>The metric that colors the cells</source>
        <translation>Die Metrik, nach der die Zellen eingefärbt werden</translation>
    </message>
</context>
<context>
    <name>cwb::gui::SensitivityPanel</name>
    <message>
        <source>Measure:</source>
        <translation>Maß:</translation>
    </message>
    <message>
        <source>No sensitivity yet: Analysis → Measure Sensitivity…</source>
        <translation>Noch keine Empfindlichkeit: Analyse → Empfindlichkeit messen…</translation>
    </message>
    <message>
        <source>How much each tensor costs when only it is compressed, per option: measured as ΔKLD on calibration windows.</source>
        <translation>Was jeder Tensor kostet, wenn nur er komprimiert wird, je Option: gemessen als ΔKLD auf Kalibrierungsfenstern.</translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <source>%1 n/a</source>
        <translation>%1 k. A.</translation>
    </message>
    <message>
        <source>Rank correlation with ΔKLD (Spearman): %1</source>
        <translation>Rangkorrelation mit ΔKLD (Spearman): %1</translation>
    </message>
    <message>
        <source>%1 tensors × %2 options, %3 windows of %4 tokens, %5 s.</source>
        <translation>%1 Tensoren × %2 Optionen, %3 Fenster zu %4 Token, %5 s.</translation>
    </message>
    <message>
        <source>Open a model first.</source>
        <translation>Öffnen Sie zuerst ein Modell.</translation>
    </message>
    <message>
        <source>A sensitivity analysis is running.</source>
        <translation>Eine Empfindlichkeitsanalyse läuft bereits.</translation>
    </message>
    <message>
        <source>Choose a calibration text.</source>
        <translation>Wählen Sie einen Kalibrierungstext.</translation>
    </message>
    <message>
        <source>Sensitivity of %1</source>
        <translation>Empfindlichkeit von %1</translation>
    </message>
    <message>
        <source>Sensitivity analysis cancelled.</source>
        <translation>Empfindlichkeitsanalyse abgebrochen.</translation>
    </message>
    <message>
        <source>Sensitivity analysis failed: %1</source>
        <translation>Empfindlichkeitsanalyse fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Measuring… (progress and Cancel in the Jobs dock)</source>
        <translation>Messung läuft… (Fortschritt und Abbrechen im Dock „Aufträge“)</translation>
    </message>
    <message>
        <source>option</source>
        <translation>Option</translation>
    </message>
    <message>
        <source>Heat map</source>
        <translation>Heatmap</translation>
    </message>
    <message>
        <source>Table</source>
        <translation>Tabelle</translation>
    </message>
</context>
<context>
    <name>cwb::gui::SensitivityTableModel</name>
    <message>
        <source>ΔKLD (nats/token)</source>
        <translation>ΔKLD (Nats/Token)</translation>
    </message>
    <message>
        <source>Relative weight error</source>
        <translation>Relativer Gewichtsfehler</translation>
    </message>
    <message>
        <source>Relative output error</source>
        <translation>Relativer Ausgabefehler</translation>
    </message>
    <message>
        <source>Stored bytes</source>
        <translation>Gespeicherte Bytes</translation>
    </message>
    <message>
        <source>Does not fit: %1</source>
        <translation>Passt nicht: %1</translation>
    </message>
    <message>
        <source>%1 as %2: ΔKLD %3, weight error %4, %5</source>
        <translation>%1 als %2: ΔKLD %3, Gewichtsfehler %4, %5</translation>
    </message>
    <message>
        <source>Tensor</source>
        <translation>Tensor</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Parameter</translation>
    </message>
    <message>
        <source>Stored</source>
        <translation>Gespeichert</translation>
    </message>
</context>
<context>
    <name>cwb::gui::SpectrumChart</name>
    <message>
        <source>No spectrum</source>
        <translation>Kein Spektrum</translation>
    </message>
    <message>
        <source>index i (largest first)</source>
        <translation>Index i (größter zuerst)</translation>
    </message>
    <message>
        <source>singular value σᵢ (log)</source>
        <translation>Singulärwert σᵢ (log.)</translation>
    </message>
    <message>
        <source>cumulative energy (%)</source>
        <translation>kumulierte Energie (%)</translation>
    </message>
    <message>
        <source>%1 %: rank %2</source>
        <translation>%1 %: Rang %2</translation>
    </message>
</context>
<context>
    <name>cwb::gui::StructurePanel</name>
    <message>
        <source>Activation (output energy)</source>
        <translation>Aktivierung (Ausgabeenergie)</translation>
    </message>
    <message>
        <source>OBS (error after refit)</source>
        <translation>OBS (Fehler nach Neuanpassung)</translation>
    </message>
    <message>
        <source>Magnitude (no data)</source>
        <translation>Betrag (ohne Daten)</translation>
    </message>
    <message>
        <source>Channel score of the next run</source>
        <translation>Kanalbewertung des nächsten Laufs</translation>
    </message>
    <message>
        <source>FFN channels kept in every layer: moves the cut</source>
        <translation>In jeder Schicht behaltene FFN-Kanäle: verschiebt den Schnitt</translation>
    </message>
    <message>
        <source>Score:</source>
        <translation>Bewertung:</translation>
    </message>
    <message>
        <source>Keep FFN channels:</source>
        <translation>FFN-Kanäle behalten:</translation>
    </message>
    <message>
        <source>No structure scores yet: Analysis → Score Structures…</source>
        <translation>Noch keine Strukturbewertung: Analyse → Strukturen bewerten…</translation>
    </message>
    <message>
        <source>Which FFN channels, KV groups and blocks matter, from calibration data; the cut shows what structured pruning would remove.</source>
        <translation>Welche FFN-Kanäle, KV-Gruppen und Blöcke wichtig sind, aus Kalibrierungsdaten; der Schnitt zeigt, was strukturiertes Pruning entfernen würde.</translation>
    </message>
    <message>
        <source>FFN channels (%1), sorted</source>
        <translation>FFN-Kanäle (%1), sortiert</translation>
    </message>
    <message>
        <source>fraction of channels ranked above</source>
        <translation>Anteil der höher eingestuften Kanäle</translation>
    </message>
    <message>
        <source>score</source>
        <translation>Bewertung</translation>
    </message>
    <message>
        <source>layer %1</source>
        <translation>Schicht %1</translation>
    </message>
    <message>
        <source>cut: keep %1 %</source>
        <translation>Schnitt: %1 % behalten</translation>
    </message>
    <message>
        <source>Blocks</source>
        <translation>Blöcke</translation>
    </message>
    <message>
        <source>layer</source>
        <translation>Schicht</translation>
    </message>
    <message>
        <source>value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>angular distance</source>
        <translation>Winkelabstand</translation>
    </message>
    <message>
        <source>ΔKLD skipped</source>
        <translation>ΔKLD übersprungen</translation>
    </message>
    <message>
        <source>least important</source>
        <translation>am wenigsten wichtig</translation>
    </message>
    <message>
        <source>Blocks were not scored.</source>
        <translation>Die Blöcke wurden nicht bewertet.</translation>
    </message>
    <message>
        <source>Keep %1 %: FFN width %2 → %3; parameters %4 → %5 (−%6 %, about %7 MB less). %8</source>
        <translation>%1 % behalten: FFN-Breite %2 → %3; Parameter %4 → %5 (−%6 %, etwa %7 MB weniger). %8</translation>
    </message>
    <message>
        <source>llama.cpp loads these shapes.</source>
        <translation>llama.cpp lädt diese Formen.</translation>
    </message>
    <message>
        <source>Blocks, least important first: by angular distance %1; by ΔKLD %2 (Spearman %3).</source>
        <translation>Blöcke, unwichtigster zuerst: nach Winkelabstand %1; nach ΔKLD %2 (Spearman %3).</translation>
    </message>
    <message>
        <source>Open a model first.</source>
        <translation>Öffnen Sie zuerst ein Modell.</translation>
    </message>
    <message>
        <source>A structure analysis is running.</source>
        <translation>Eine Strukturanalyse läuft bereits.</translation>
    </message>
    <message>
        <source>Choose a calibration text.</source>
        <translation>Wählen Sie einen Kalibrierungstext.</translation>
    </message>
    <message>
        <source>Structures of %1</source>
        <translation>Strukturen von %1</translation>
    </message>
    <message>
        <source>Structure analysis cancelled.</source>
        <translation>Strukturanalyse abgebrochen.</translation>
    </message>
    <message>
        <source>Structure analysis failed: %1</source>
        <translation>Strukturanalyse fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Scoring… (progress and Cancel in the Jobs dock)</source>
        <translation>Bewertung läuft… (Fortschritt und Abbrechen im Dock „Aufträge“)</translation>
    </message>
</context>
<context>
    <name>cwb::gui::SweepDialog</name>
    <message>
        <source>Run Sweep</source>
        <translation>Sweep ausführen</translation>
    </message>
    <message>
        <source>all</source>
        <translation>alle</translation>
    </message>
    <message>
        <source>Measure prefill and decode speed</source>
        <translation>Prefill- und Dekodiergeschwindigkeit messen</translation>
    </message>
    <message>
        <source>Project:</source>
        <translation>Projekt:</translation>
    </message>
    <message>
        <source>Project for the Evaluation History</source>
        <translation>Projekt für den Auswertungsverlauf</translation>
    </message>
    <message>
        <source>Compression Workbench projects (*.cwbproj)</source>
        <translation>Compression-Workbench-Projekte (*.cwbproj)</translation>
    </message>
    <message>
        <source>Evaluation text:</source>
        <translation>Auswertungstext:</translation>
    </message>
    <message>
        <source>Evaluation Text</source>
        <translation>Auswertungstext</translation>
    </message>
    <message>
        <source>Text files (*.txt *.raw);;All files (*)</source>
        <translation>Textdateien (*.txt *.raw);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>n_ctx</source>
        <translation>n_ctx</translation>
    </message>
    <message>
        <source>windows</source>
        <translation>Fenster</translation>
    </message>
    <message>
        <source>Evaluation:</source>
        <translation>Auswertung:</translation>
    </message>
    <message>
        <source>Calibration text:</source>
        <translation>Kalibrierungstext:</translation>
    </message>
    <message>
        <source>Calibration Text</source>
        <translation>Kalibrierungstext</translation>
    </message>
    <message>
        <source>The original model (the KLD base)</source>
        <translation>Das Originalmodell (die KLD-Basis)</translation>
    </message>
    <message>
        <source>The Layer Plan&apos;s recipe</source>
        <translation>Das Rezept des Schichtplans</translation>
    </message>
    <message>
        <source>bits/weight, e.g. 4.5 5.0 6.0</source>
        <translation>Bits/Gewicht, z. B. 4.5 5.0 6.0</translation>
    </message>
    <message>
        <source>needs the sensitivity (Analysis → Measure Sensitivity…)</source>
        <translation>braucht die Empfindlichkeit (Analyse → Empfindlichkeit messen…)</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>Hinzufügen…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>Punkte</translation>
    </message>
    <message>
        <source>llama.cpp mixtures:</source>
        <translation>llama.cpp-Mischungen:</translation>
    </message>
    <message>
        <source>Solver budgets:</source>
        <translation>Solver-Budgets:</translation>
    </message>
    <message>
        <source>Recipe files:</source>
        <translation>Rezeptdateien:</translation>
    </message>
    <message>
        <source>Recipes to Sweep</source>
        <translation>Rezepte für den Sweep</translation>
    </message>
    <message>
        <source>Recipes (*.json)</source>
        <translation>Rezepte (*.json)</translation>
    </message>
    <message>
        <source>Reference files:</source>
        <translation>Referenzdateien:</translation>
    </message>
    <message>
        <source>Reference Files of This Model</source>
        <translation>Referenzdateien dieses Modells</translation>
    </message>
    <message>
        <source>Models (*.gguf *.safetensors *.bin *.cwbarchive);;All files (*)</source>
        <translation>Modelle (*.gguf *.safetensors *.bin *.cwbarchive);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Each point is compressed and evaluated in turn and joins the project&apos;s evaluation history as it finishes; points already there are not measured again, so a cancelled sweep resumes.</source>
        <translation>Jeder Punkt wird nacheinander komprimiert und ausgewertet und kommt in den Auswertungsverlauf des Projekts, sobald er fertig ist; Punkte, die schon dort sind, werden nicht erneut gemessen, daher setzt ein abgebrochener Sweep fort.</translation>
    </message>
    <message>
        <source>Layer Plan</source>
        <translation>Schichtplan</translation>
    </message>
    <message>
        <source>Choose the project file whose evaluation history the points join.</source>
        <translation>Wählen Sie die Projektdatei, in deren Auswertungsverlauf die Punkte kommen.</translation>
    </message>
    <message>
        <source>Choose an existing evaluation text.</source>
        <translation>Wählen Sie einen vorhandenen Auswertungstext.</translation>
    </message>
    <message>
        <source>Choose at least one point to measure.</source>
        <translation>Wählen Sie mindestens einen zu messenden Punkt.</translation>
    </message>
    <message>
        <source>Solver budgets: give bits/weight as numbers, e.g. 4.5 5.0</source>
        <translation>Solver-Budgets: Bits/Gewicht als Zahlen angeben, z. B. 4.5 5.0</translation>
    </message>
    <message>
        <source>only for plans that need statistics (see tooltip)</source>
        <translation>nur für Pläne, die Statistiken brauchen (siehe Tooltip)</translation>
    </message>
    <message>
        <source>Calibration text, needed by %1</source>
        <translation>Kalibrierungstext, gebraucht von %1</translation>
    </message>
    <message>
        <source>Integer activations (llama.cpp&apos;s Q8 arithmetic)</source>
        <translation>Ganzzahlige Aktivierungen (Q8-Arithmetik von llama.cpp)</translation>
    </message>
    <message>
        <source>Quantized matrices multiply Q8-rounded inputs in integers, as llama.cpp does: its perplexities and its speed. With float activations a 4-bit matrix decodes slower than the original</source>
        <translation>Quantisierte Matrizen multiplizieren auf Q8 gerundete Eingaben ganzzahlig, wie llama.cpp: dessen Perplexitäten und dessen Geschwindigkeit. Mit Gleitkomma-Aktivierungen dekodiert eine 4-Bit-Matrix langsamer als das Original</translation>
    </message>
</context>
<context>
    <name>cwb::gui::TradeoffChart</name>
    <message>
        <source>Log scale</source>
        <translation>Logarithmisch</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exportieren…</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <source>Bits per weight</source>
        <translation>Bits pro Gewicht</translation>
    </message>
    <message>
        <source>Mean KL divergence</source>
        <translation>Mittlere KL-Divergenz</translation>
    </message>
    <message>
        <source>Perplexity</source>
        <translation>Perplexität</translation>
    </message>
    <message>
        <source>Decode latency</source>
        <translation>Dekodier-Latenz</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>Speicher</translation>
    </message>
    <message>
        <source>Show</source>
        <translation>Zeige</translation>
    </message>
    <message>
        <source>against</source>
        <translation>gegen</translation>
    </message>
    <message>
        <source>Model size (MiB)</source>
        <translation>Modellgröße (MiB)</translation>
    </message>
    <message>
        <source>Bits per weight (whole model)</source>
        <translation>Bits pro Gewicht (ganzes Modell)</translation>
    </message>
    <message>
        <source>Mean KL divergence to the original</source>
        <translation>Mittlere KL-Divergenz zum Original</translation>
    </message>
    <message>
        <source>Decode latency, ms/token (measured on this machine)</source>
        <translation>Dekodier-Latenz, ms/Token (auf diesem Rechner gemessen)</translation>
    </message>
    <message>
        <source>Memory: weights + KV cache (MiB)</source>
        <translation>Speicher: Gewichte + KV-Cache (MiB)</translation>
    </message>
    <message>
        <source>Plans</source>
        <translation>Pläne</translation>
    </message>
    <message>
        <source>Pareto front</source>
        <translation>Pareto-Front</translation>
    </message>
    <message>
        <source>References</source>
        <translation>Referenzen</translation>
    </message>
    <message>
        <source>No measured plans yet: evaluate a compression, or run a sweep.</source>
        <translation>Noch keine gemessenen Pläne: werten Sie eine Kompression aus oder starten Sie einen Sweep.</translation>
    </message>
    <message>
        <source>No plan has both measures shown here.</source>
        <translation>Kein Plan hat beide hier gezeigten Messwerte.</translation>
    </message>
    <message numerus="yes">
        <source>%n plan(s) shown, %1 on the Pareto front. Hover a point for its recipe; click a plan to load its recipe into the Layer Plan.</source>
        <translation>
            <numerusform>%n Plan gezeigt, %1 auf der Pareto-Front. Zeigen Sie auf einen Punkt für sein Rezept; ein Klick lädt das Rezept in den Schichtplan.</numerusform>
            <numerusform>%n Pläne gezeigt, %1 auf der Pareto-Front. Zeigen Sie auf einen Punkt für sein Rezept; ein Klick lädt das Rezept in den Schichtplan.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 bits/weight</source>
        <translation>%1 Bits/Gewicht</translation>
    </message>
    <message>
        <source>KLD %1</source>
        <translation>KLD %1</translation>
    </message>
    <message>
        <source>ppl %1</source>
        <translation>PPL %1</translation>
    </message>
    <message>
        <source>%1 ms/token</source>
        <translation>%1 ms/Token</translation>
    </message>
    <message>
        <source> (on the Pareto front)</source>
        <translation> (auf der Pareto-Front)</translation>
    </message>
    <message>
        <source> (reference)</source>
        <translation> (Referenz)</translation>
    </message>
</context>
<context>
    <name>cwb::gui::TradeoffsPanel</name>
    <message>
        <source>Reference File of This Model</source>
        <translation>Referenzdatei dieses Modells</translation>
    </message>
    <message>
        <source>Models (*.gguf *.safetensors *.bin *.cwbarchive);;All files (*)</source>
        <translation>Modelle (*.gguf *.safetensors *.bin *.cwbarchive);;Alle Dateien (*)</translation>
    </message>
    <message>
        <source>Evaluation runs of this window (%1)</source>
        <translation>Auswertungsläufe dieses Fensters (%1)</translation>
    </message>
    <message numerus="yes">
        <source>History: %1 (%n point(s))</source>
        <translation>
            <numerusform>Verlauf: %1 (%n Punkt)</numerusform>
            <numerusform>Verlauf: %1 (%n Punkte)</numerusform>
        </translation>
    </message>
    <message>
        <source>Open a model first.</source>
        <translation>Öffnen Sie zuerst ein Modell.</translation>
    </message>
    <message>
        <source>A sweep is running.</source>
        <translation>Ein Sweep läuft bereits.</translation>
    </message>
    <message>
        <source>Sweep into %1</source>
        <translation>Sweep in %1</translation>
    </message>
    <message>
        <source>Sweep done: %1 measured, %2 already stored.</source>
        <translation>Sweep fertig: %1 gemessen, %2 bereits gespeichert.</translation>
    </message>
    <message>
        <source>Sweep cancelled; the points finished are stored.</source>
        <translation>Sweep abgebrochen; die fertigen Punkte sind gespeichert.</translation>
    </message>
    <message>
        <source>Sweep failed: %1</source>
        <translation>Sweep fehlgeschlagen: %1</translation>
    </message>
    <message>
        <source>Sweeping… (progress and Cancel in the Jobs dock)</source>
        <translation>Sweep läuft… (Fortschritt und Abbrechen im Dock „Aufträge“)</translation>
    </message>
    <message>
        <source>Sweep…</source>
        <translation>Sweep…</translation>
    </message>
    <message>
        <source>Reference…</source>
        <translation>Referenz…</translation>
    </message>
    <message>
        <source>The points shown: this window&apos;s evaluation runs, or the evaluation history measured on one text</source>
        <translation>Die gezeigten Punkte: die Auswertungsläufe dieses Fensters oder der auf einem Text gemessene Auswertungsverlauf</translation>
    </message>
    <message>
        <source>Run a sweep: compress and evaluate several plans into the project&apos;s evaluation history</source>
        <translation>Einen Sweep ausführen: mehrere Pläne komprimieren und in den Auswertungsverlauf des Projekts auswerten</translation>
    </message>
    <message>
        <source>Add a reference: evaluate another file of this model (e.g. llama.cpp&apos;s own Q4_K_M) as a point apart</source>
        <translation>Eine Referenz hinzufügen: eine andere Datei dieses Modells (z. B. das Q4_K_M von llama.cpp) als gesonderten Punkt auswerten</translation>
    </message>
</context>
<context>
    <name>cwb::methods</name>
    <message>
        <source>%1 (kept)</source>
        <translation>%1 (beibehalten)</translation>
    </message>
    <message>
        <source>per-row</source>
        <translation>pro Zeile</translation>
    </message>
    <message>
        <source>per-tensor</source>
        <translation>pro Tensor</translation>
    </message>
    <message>
        <source>sym</source>
        <translation>sym.</translation>
    </message>
    <message>
        <source>asym</source>
        <translation>asym.</translation>
    </message>
    <message>
        <source>f16 scales</source>
        <translation>f16-Skalen</translation>
    </message>
    <message>
        <source>f32 scales</source>
        <translation>f32-Skalen</translation>
    </message>
    <message>
        <source>int%1 %2 %3 + %4</source>
        <translation>int%1 %2 %3 + %4</translation>
    </message>
    <message>
        <source>NF4 b%1 + 8-bit absmax</source>
        <translation>NF4 b%1 + 8-Bit-Absmax</translation>
    </message>
    <message>
        <source>NF4 b%1 + f32 absmax</source>
        <translation>NF4 b%1 + f32-Absmax</translation>
    </message>
    <message>
        <source>FP8 %1 + f32 scale per row</source>
        <translation>FP8 %1 + f32-Skala pro Zeile</translation>
    </message>
    <message>
        <source>FP8 %1 + f32 scale per tensor</source>
        <translation>FP8 %1 + f32-Skala pro Tensor</translation>
    </message>
    <message>
        <source>MXFP4: E2M1 + E8M0 scale / 32</source>
        <translation>MXFP4: E2M1 + E8M0-Skala / 32</translation>
    </message>
    <message>
        <source>NVFP4: E2M1 + E4M3 scale / 16</source>
        <translation>NVFP4: E2M1 + E4M3-Skala / 16</translation>
    </message>
    <message>
        <source>ternary, 2 bits each</source>
        <translation>ternär, je 2 Bit</translation>
    </message>
    <message>
        <source>ternary, 5 per byte</source>
        <translation>ternär, 5 pro Byte</translation>
    </message>
    <message>
        <source>%1 + imatrix</source>
        <translation>%1 + imatrix</translation>
    </message>
    <message>
        <source>GPTQ onto %1</source>
        <translation>GPTQ auf %1</translation>
    </message>
    <message>
        <source>GPTQ onto %1, block reconstruction</source>
        <translation>GPTQ auf %1, Blockrekonstruktion</translation>
    </message>
    <message>
        <source>AWQ onto %1</source>
        <translation>AWQ auf %1</translation>
    </message>
</context>
</TS>
