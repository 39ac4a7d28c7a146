<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
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
        <source>&lt;h3&gt;Compression Workbench %1&lt;/h3&gt;&lt;p&gt;Look at every layer of a neural network, choose how to compress it, and measure what that costs.&lt;/p&gt;&lt;p&gt;Licensed under the MIT License.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Compression Workbench %1&lt;/h3&gt;&lt;p&gt;Jede Schicht eines neuronalen Netzes untersuchen, entscheiden, wie sie komprimiert wird, und messen, was das kostet.&lt;/p&gt;&lt;p&gt;Lizenziert unter der MIT-Lizenz.&lt;/p&gt;</translation>
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
</TS>
